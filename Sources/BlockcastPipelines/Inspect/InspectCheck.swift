import BlockcastContainers

/// `inspect --check`: every tensor's checksum against the checkpoint's manifest.
package enum InspectCheck {
    /// Reads every tensor once and compares it with `blockcast-manifest.json`.
    ///
    /// - Returns: The number of tensors checked.
    /// - Throws: ``InspectError`` naming every damaged tensor (and its file), or when there is
    ///   no manifest.
    package static func run(path: String) throws(InspectError) -> Int {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(path)
        } catch {
            throw InspectError(.unreadable, error.description)
        }
        let problems: [ContainerError]
        do {
            problems = try checkpoint.checkAll()
        } catch {
            throw InspectError(
                .noManifest,
                "Cannot check '\(path)': \(error.description) Checksums come from the "
                    + "blockcast-manifest.json a blockcast writer leaves beside its files.")
        }
        guard problems.isEmpty else {
            throw InspectError(
                .damaged,
                "\(problems.count) tensor(s) of '\(path)' do not match the manifest:",
                details: problems.map(\.description))
        }
        return checkpoint.tensors.count
    }
}
