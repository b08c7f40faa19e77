import Testing

@testable import ProctorSandbox

/// The three time limits of `time-limits.md`, each reported as itself.
@Suite struct TimeLimitTests {
    @Test func busyLoopIsStoppedForCPUTime() async throws {
        let run = try await Harness.run("while :; do :; done") { $0.cpuTime = 0.5 }
        #expect(run.report.verdict == .limitExceeded(.cpuTime))
        #expect(run.report.metrics.cpuTime >= 0.5)
        #expect(run.report.metrics.cpuTime < 1.5)
    }

    @Test func sleepForeverIsStoppedForIdleness() async throws {
        let run = try await Harness.run("sleep inf") { $0.idleTime = 0.5 }
        #expect(run.report.verdict == .limitExceeded(.idlenessTime))
        #expect(run.report.metrics.idlenessTime >= 0.5)
        #expect(run.report.metrics.cpuTime < 0.2)
    }

    @Test func wallTimeLimitsWhatIdlenessAllows() async throws {
        let run = try await Harness.run("sleep 5") {
            $0.idleTime = 10
            $0.wallTime = 0.5
        }
        #expect(run.report.verdict == .limitExceeded(.realTime))
        #expect(run.report.metrics.realTime >= 0.5)
        #expect(run.report.metrics.realTime < 2)
    }

    @Test func cpuTimeCountsEveryThread() async throws {
        let directory = try Harness.temporaryDirectory()
        _ = try Harness.compile("""
            #include <pthread.h>
            static void *spin(void *arg) { (void)arg; for (;;) {} return 0; }
            int main(void) { pthread_t t[3]; for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, spin, 0); spin(0); }
            """, named: "spinner", in: directory)
        let run = try await Harness.run("exec /data/spinner") {
            $0.cpuTime = 1
        } configure: {
            $0.binds = [BindMount(source: directory, destination: "/data")]
        }
        #expect(run.report.verdict == .limitExceeded(.cpuTime))
        // Four threads on this machine's cores: the CPU limit comes before its wall-clock equivalent.
        #expect(run.report.metrics.realTime < run.report.metrics.cpuTime)
    }

    @Test func quickProgramReportsItsExitCodeAndMetrics() async throws {
        let run = try await Harness.run("echo hello; exit 3")
        #expect(run.report.verdict == .exited(code: 3))
        #expect(run.stdout == "hello\n")
        #expect(run.report.metrics.memory > 0)
        #expect(run.report.metrics.realTime < 5)
    }
}
