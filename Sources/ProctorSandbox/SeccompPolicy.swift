/// The system calls a sandboxed program is refused (with EPERM). Calls that
/// only a privileged process could use are listed too: the filter is a second
/// wall behind the missing capabilities. Names unknown to the running
/// architecture are skipped. ``SeccompFilter`` adds the rules with arguments
/// (clone flags, socket families, personality) and compiles the program.
enum SeccompPolicy {
    static let denied = [
        // Debugging and reading other processes.
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        // Filesystems and namespaces.
        "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "mount_setattr", "move_mount",
        "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "open_by_handle_at", "name_to_handle_at",
        // The kernel itself.
        "bpf", "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module",
        "delete_module", "create_module", "keyctl", "add_key", "request_key", "swapon", "swapoff",
        "reboot", "acct", "quotactl", "quotactl_fd", "syslog", "iopl", "ioperm", "lookup_dcookie",
        "fanotify_init", "userfaultfd", "uselib", "vhangup", "nfsservctl", "_sysctl", "sysfs", "ustat",
        "vm86", "vm86old", "get_kernel_syms", "query_module",
        // Local descriptor tables: a 16-bit segment is an old way around ASLR and a kernel attack surface.
        "modify_ldt",
        // The clock of the whole machine.
        "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
        // io_uring sidesteps seccomp for the calls it carries.
        "io_uring_setup", "io_uring_enter", "io_uring_register",
    ]
}
