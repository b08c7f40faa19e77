import ProctorSandbox
let r = try Sandbox().run(SandboxSpec(command: Array(CommandLine.arguments.dropFirst())))
print(r)
