import Foundation

/// Runs a benchmark's measured work in a child process: its wall time and its own peak
/// resident memory (a spawning parent must stay small, since Linux counts the parent's pages
/// in a spawned child's peak).
enum ChildProcess {
    /// Wall time and peak resident memory of one child.
    struct Measurement {
        var seconds: Double
        var peakMB: Double
    }

    /// Runs `path` with `arguments` (stdout to /dev/null), waiting with `wait4` for its
    /// resource usage; nil, with a note, when it cannot start or fails.
    static func spawn(
        _ path: String, _ arguments: [String], environment: [String: String] = [:]
    ) -> Measurement? {
        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)

        let start = DispatchTime.now().uptimeNanoseconds
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else {
            print("# bench: could not start \(path)")
            return nil
        }
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard status == 0 else {
            print("# bench: \(path) \(arguments.joined(separator: " ")) failed (\(status))")
            return nil
        }
        // ru_maxrss is in KiB on Linux.
        return Measurement(seconds: seconds, peakMB: Double(usage.ru_maxrss) * 1024 / 1e6)
    }
}
