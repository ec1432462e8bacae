import BlockcastContainers
import BlockcastFormats
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The state of one streaming run: a writer per unfinished rank, where each piece goes in its
/// rank file, the checksums gathered so far, and which rank files are complete.
final class StreamSession: @unchecked Sendable {
    private let plan: ReshardPlan
    private let directory: String
    private let files: [String]
    private let pieces: [[RankPiece]]
    /// `positions[t][k]`: where piece `k` of planned tensor `t` sits in its rank's file.
    private let positions: [[Int]]
    private var writers: [(any RankOutput)?]
    private var kept: [Bool]
    private var remaining: [Int]
    private var finished: [Bool]
    private var checksums: [[UInt64]]

    /// Bytes of tensor data written by this run.
    private(set) var bytesWritten = 0

    /// The files kept from an earlier run.
    var keptFiles: [String] { files.indices.filter { kept[$0] }.map { files[$0] } }

    /// Lays out every rank file, keeps those `--resume` may keep, and opens writers for the
    /// rest.
    init(
        plan: ReshardPlan, directory: String, files: [String], options: ReshardOptions,
        config: JSONValue?
    ) throws(ReshardError) {
        self.plan = plan
        self.directory = directory
        self.files = files
        pieces = plan.piecesPerRank
        var counters = [Int](repeating: 0, count: plan.worldSize)
        positions = plan.tensors.map { tensor in
            tensor.pieces.map { piece in
                defer { counters[piece.rank] += 1 }
                return counters[piece.rank]
            }
        }
        writers = Array(repeating: nil, count: plan.worldSize)
        kept = Array(repeating: false, count: plan.worldSize)
        remaining = pieces.map(\.count)
        finished = Array(repeating: false, count: plan.worldSize)
        checksums = pieces.map { [UInt64](repeating: 0, count: $0.count) }

        let metadata = ["format": "pt"]
        for rank in 0..<plan.worldSize {
            let path = self.path(rank)
            if options.resume, FileManager.default.fileExists(atPath: path) {
                if options.format == .hdf5 {
                    try checkResumableHDF5(path, pieces: pieces[rank])
                } else {
                    try checkResumable(path, pieces: pieces[rank], metadata: metadata)
                }
                kept[rank] = true
                finished[rank] = true
            }
        }
        // An old manifest would describe files that are about to change.
        unlink((directory as NSString).appendingPathComponent(Manifest.fileName))

        do {
            for rank in 0..<plan.worldSize where !kept[rank] {
                if options.format == .hdf5 {
                    writers[rank] = try HDF5RankOutput(
                        path: path(rank), pieces: pieces[rank], config: config)
                } else {
                    writers[rank] = try RankFileWriter(
                        path: path(rank), pieces: pieces[rank], metadata: metadata)
                }
            }
        } catch {
            for writer in writers { writer?.abandon() }
            throw error
        }
        for rank in 0..<plan.worldSize where !kept[rank] && remaining[rank] == 0 {
            try finishRank(rank)
        }
    }

    private func path(_ rank: Int) -> String {
        (directory as NSString).appendingPathComponent(files[rank])
    }

    /// A completed rank file is kept only when its header is byte for byte the planned one
    /// and its size is the planned size.
    private func checkResumable(
        _ path: String, pieces: [RankPiece], metadata: [String: String]
    ) throws(ReshardError) {
        let (header, ranges) = RankFileWriter.layout(pieces, metadata: metadata)
        let size = header.count + (ranges.map(\.upperBound).max() ?? 0)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let found = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        let handle = FileHandle(forReadingAtPath: path)
        let start = (try? handle?.read(upToCount: header.count)).flatMap { $0 }.map([UInt8].init)
        try? handle?.close()
        guard found == size, start == header else {
            throw ReshardError(
                .resumeMismatch,
                "Cannot resume into '\(path)': it was written for another plan (its header or "
                    + "size differs from this run's); pass --force to start over.")
        }
    }

    /// An HDF5 file has no fixed header to compare: its tensors (names, dtypes, shapes) must
    /// be exactly the planned ones.
    private func checkResumableHDF5(_ path: String, pieces: [RankPiece]) throws(ReshardError) {
        let planned = Set(pieces.map { "\($0.name) \($0.dtype.rawValue) \($0.shape)" })
        let found = (try? Checkpoint.open(path))?.tensors.map {
            "\($0.name) \($0.dtype.rawValue) \($0.shape)"
        }
        guard let found, Set(found) == planned, found.count == planned.count else {
            throw ReshardError(
                .resumeMismatch,
                "Cannot resume into '\(path)': it holds other tensors than this run plans; pass "
                    + "--force to start over.")
        }
    }

    // MARK: - Streaming

    /// Reads each planned tensor whose pieces are still needed, once, and writes its pieces.
    func stream(
        source: ReshardSource, scaleFormat: ScaleFormat, progress: ProgressReporter?,
        report: inout ReshardReport
    ) throws(ReshardError) {
        for (index, tensor) in plan.tensors.enumerated() {
            if case .requantizedScale = tensor.method { continue }
            guard tensor.pieces.contains(where: { !kept[$0.rank] }) else { continue }

            let data = try source.read(tensor.sourceIndex)
            report.tensorsRead += 1
            report.bytesRead += data.byteCount
            switch tensor.method {
            case .copy:
                try writeCopies(index, data)
            case .slice(let dimension):
                try writeSlices(index, data, dimension: dimension)
            case .requantize(let dimension, let scaleIndex):
                let scaleTensor = plan.tensors[scaleIndex]
                let scale = try source.read(scaleTensor.sourceIndex)
                report.tensorsRead += 1
                report.bytesRead += scale.byteCount
                report.requantized.append(
                    try writeRequantized(
                        index, data, scaleIndex: scaleIndex, scale: scale, dimension: dimension,
                        scaleFormat: scaleFormat))
                try completePieces(of: scaleIndex)
            case .requantizedScale:
                continue
            }
            try completePieces(of: index)
            progress?.completed(tensor.source.name, bytes: Int64(data.byteCount))
        }
    }

    /// The same bytes to every rank that needs them (one checksum).
    private func writeCopies(_ index: Int, _ data: Tensor) throws(ReshardError) {
        let tensor = plan.tensors[index]
        let targets = tensor.pieces.indices.filter { !kept[tensor.pieces[$0].rank] }
        let checksum = data.withUnsafeBytes { XXHash64.hash($0) }
        let errors = Mutex<[ReshardError]>([])
        data.withUnsafeBytes { bytes in
            parallelFor(targets.count) { item in
                let k = targets[item]
                do throws(ReshardError) {
                    try write(index, k, bytes, checksum: checksum)
                } catch {
                    errors.withLock { $0.append(error) }
                }
            }
        }
        if let error = errors.withLock({ $0.first }) { throw error }
    }

    /// Each rank's contiguous slice; slices that are not contiguous in memory (inner
    /// dimensions) are gathered into a buffer of their own first.
    private func writeSlices(_ index: Int, _ data: Tensor, dimension: Int) throws(ReshardError) {
        let tensor = plan.tensors[index]
        let targets = tensor.pieces.indices.filter { !kept[tensor.pieces[$0].rank] }
        let width = data.dtype.byteWidth
        let errors = Mutex<[ReshardError]>([])
        data.withUnsafeBytes { bytes in
            parallelFor(targets.count) { item in
                let k = targets[item]
                let piece = tensor.pieces[k]
                let range = piece.range!
                do throws(ReshardError) {
                    if let contiguous = TensorSlicing.contiguousRange(
                        shape: data.shape, width: width, dimension: dimension, range: range)
                    {
                        let slice = UnsafeRawBufferPointer(rebasing: bytes[contiguous])
                        try write(index, k, slice, checksum: XXHash64.hash(slice))
                    } else {
                        let buffer = UnsafeMutableRawBufferPointer.allocate(
                            byteCount: piece.byteCount, alignment: 64)
                        defer { buffer.deallocate() }
                        TensorSlicing.extract(
                            from: bytes, shape: data.shape, width: width, dimension: dimension,
                            range: range, into: buffer)
                        let slice = UnsafeRawBufferPointer(buffer)
                        try write(index, k, slice, checksum: XXHash64.hash(slice))
                    }
                } catch {
                    errors.withLock { $0.append(error) }
                }
            }
        }
        if let error = errors.withLock({ $0.first }) { throw error }
    }

    /// Re-quantizes each rank's slice of an FP8 weight and writes it with its new scale.
    private func writeRequantized(
        _ index: Int, _ weight: Tensor, scaleIndex: Int, scale: Tensor, dimension: Int,
        scaleFormat: ScaleFormat
    ) throws(ReshardError) -> ReshardReport.Requantized {
        let tensor = plan.tensors[index]
        let format: ScaleFormat = scale.dtype == .float8E8M0 ? .ue8m0 : scaleFormat
        var signal = 0.0
        var noise = 0.0
        var maxError: Float = 0
        // Ranks one after another: the quantizer already uses every thread within a slice.
        for (k, piece) in tensor.pieces.enumerated() where !kept[piece.rank] {
            let range = piece.range!
            let rows = dimension == 0 ? range : 0..<weight.shape[0]
            let columns = dimension == 1 ? range : 0..<weight.shape[1]
            let slice = SliceRequantizer.requantize(
                weight: weight, scale: scale, rows: rows, columns: columns,
                scaleFormat: format)
            signal += slice.signal
            noise += slice.noise
            maxError = max(maxError, slice.maxAbsoluteError)
            try write(index, k, slice.codes)
            try write(scaleIndex, k, slice.scaleBytes)
        }
        return ReshardReport.Requantized(
            tensor: tensor.source.name, shape: tensor.source.shape, dimension: dimension,
            sqnrDecibels: QuantizationStatistics.sqnr(signal: signal, noise: noise),
            maxAbsoluteError: maxError)
    }

    /// Writes piece `k` of planned tensor `index` from an array.
    private func write(_ index: Int, _ k: Int, _ bytes: [UInt8]) throws(ReshardError) {
        let failure = bytes.withUnsafeBytes { raw -> ReshardError? in
            do throws(ReshardError) {
                try write(index, k, raw, checksum: XXHash64.hash(raw))
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Writes piece `k` of planned tensor `index` and records its checksum.
    private func write(
        _ index: Int, _ k: Int, _ bytes: UnsafeRawBufferPointer, checksum: UInt64
    ) throws(ReshardError) {
        let rank = plan.tensors[index].pieces[k].rank
        let position = positions[index][k]
        try writers[rank]!.write(piece: position, bytes: bytes)
        // Each (rank, position) is written by exactly one iteration: no two threads share it.
        checksums.withUnsafeMutableBufferPointer { ranks in
            ranks[rank].withUnsafeMutableBufferPointer { $0[position] = checksum }
        }
    }

    /// Counts planned tensor `index`'s pieces as written and finishes completed ranks.
    private func completePieces(of index: Int) throws(ReshardError) {
        for piece in plan.tensors[index].pieces where !kept[piece.rank] {
            remaining[piece.rank] -= 1
            bytesWritten += piece.byteCount
            if remaining[piece.rank] == 0 { try finishRank(piece.rank) }
        }
    }

    private func finishRank(_ rank: Int) throws(ReshardError) {
        try writers[rank]!.finish()
        writers[rank] = nil
        finished[rank] = true
    }

    // MARK: - Completion

    /// Hashes the tensors of kept rank files, which this run did not write.
    func checksumKeptRanks() throws(ReshardError) {
        for rank in 0..<plan.worldSize where kept[rank] {
            let checkpoint: Checkpoint
            do {
                checkpoint = try Checkpoint.open(path(rank))
                for (position, piece) in pieces[rank].enumerated() {
                    checksums[rank][position] = XXHash64.hash(try checkpoint.read(piece.name))
                }
            } catch {
                throw ReshardError(.input, error.description)
            }
        }
    }

    /// The manifest records, rank by rank, in file order.
    func manifestEntries() -> [Manifest.Entry] {
        var entries: [Manifest.Entry] = []
        for rank in 0..<plan.worldSize {
            for (position, piece) in pieces[rank].enumerated() {
                entries.append(
                    Manifest.Entry(
                        name: piece.name, file: files[rank], dtype: piece.dtype,
                        shape: piece.shape, byteCount: piece.byteCount,
                        checksum: checksums[rank][position]))
            }
        }
        return entries
    }

    /// Removes what this run wrote: temporary files and rank files it completed.
    func removeWrittenFiles() {
        for rank in 0..<plan.worldSize where !kept[rank] {
            if let writer = writers[rank] {
                writer.abandon()
                writers[rank] = nil
            } else if finished[rank] {
                unlink(path(rank))
            }
        }
    }
}
