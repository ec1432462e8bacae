/// Which share of a list of work items one process of a cluster job handles: part
/// `index + 1` of `count`, from `--part i/n` or from the launcher's rank variables.
///
/// Items are dealt round-robin by their index (item `k` belongs to part `k mod count`),
/// not in contiguous runs: tensors come in name order, and in that order the large expert
/// tensors cluster in the later layers, so contiguous runs would leave some processes with
/// most of the bytes. Round-robin spreads every layer over every process.
public struct WorkPartition: Sendable, Hashable, CustomStringConvertible {
    /// The 0-based part this process handles (a launcher's rank).
    public let index: Int

    /// How many parts the work is split into (a launcher's world size).
    public let count: Int

    /// All the work, for a process running alone.
    public static let whole = WorkPartition(index: 0, count: 1)

    /// Part `index` (0-based) of `count`; both must be in range (a programmer error
    /// otherwise — input goes through ``init(parsing:)`` or ``fromEnvironment(_:)``).
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "part \(index) of \(count)")
        self.index = index
        self.count = count
    }

    /// The part written as `--part` takes it: `i/n`, 1-based, with 1 ≤ i ≤ n.
    ///
    /// - Throws: ``WorkPartitionError`` naming `--part` and the text.
    public init(parsing text: String) throws(WorkPartitionError) {
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, let part = Int(pieces[0]), let count = Int(pieces[1]),
            count >= 1, (1...count).contains(part)
        else {
            throw WorkPartitionError(
                message: "invalid value '\(text)' for '--part': expected i/n with "
                    + "1 <= i <= n, such as 2/8")
        }
        self.init(index: part - 1, count: count)
    }

    /// The launcher variables read for a rank, in order of preference: (rank, size).
    public static let launcherVariables = [
        ("SLURM_PROCID", "SLURM_NTASKS"),
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ("PMI_RANK", "PMI_SIZE"),
    ]

    /// The part a cluster launcher assigned, from the first pair of
    /// ``launcherVariables`` that is fully set (ranks there are 0-based); `nil` when none is.
    ///
    /// - Throws: ``WorkPartitionError`` naming the variables when their values are not a
    ///   rank below the size.
    public static func fromEnvironment(
        _ environment: [String: String]
    ) throws(WorkPartitionError) -> WorkPartition? {
        for (rankName, sizeName) in launcherVariables {
            guard let rankText = environment[rankName], let sizeText = environment[sizeName]
            else { continue }
            guard let rank = Int(rankText), let size = Int(sizeText), size >= 1,
                (0..<size).contains(rank)
            else {
                throw WorkPartitionError(
                    message: "invalid launcher rank \(rankName)=\(rankText) with "
                        + "\(sizeName)=\(sizeText): expected a rank from 0 to size - 1")
            }
            return WorkPartition(index: rank, count: size)
        }
        return nil
    }

    /// The part for this process: `--part` when given, else the launcher's, else the whole.
    ///
    /// - Parameters:
    ///   - part: The text of `--part`, or `nil` when absent.
    ///   - environment: The process environment.
    /// - Throws: ``WorkPartitionError`` for a malformed `--part` or launcher variable.
    public static func resolve(
        part: String?, environment: [String: String]
    ) throws(WorkPartitionError) -> WorkPartition {
        if let part { return try WorkPartition(parsing: part) }
        return try fromEnvironment(environment) ?? .whole
    }

    /// Whether this part handles item `itemIndex` (0-based, in the work list's fixed order).
    public func owns(_ itemIndex: Int) -> Bool {
        itemIndex % count == index
    }

    /// The items this part handles, in their order.
    public func share<Item>(of items: [Item]) -> [Item] {
        items.indices.filter(owns).map { items[$0] }
    }

    /// Whether this part is all the work.
    public var isWhole: Bool { count == 1 }

    /// `i/n`, 1-based, as `--part` writes it.
    public var description: String { "\(index + 1)/\(count)" }
}

/// A `--part` value or launcher rank variable that does not name a part.
public struct WorkPartitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, quoting the option or variables and their values.
    public var message: String

    /// The message.
    public var description: String { message }
}
