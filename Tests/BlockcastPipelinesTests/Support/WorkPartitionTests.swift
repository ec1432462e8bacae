import BlockcastPipelines
import Testing

@Suite struct WorkPartitionTests {
    @Test(arguments: [("1/1", 0, 1), ("2/8", 1, 8), ("8/8", 7, 8), ("3/4", 2, 4)])
    func parsesOneBasedParts(_ text: String, _ index: Int, _ count: Int) throws {
        let part = try WorkPartition(parsing: text)
        #expect(part == WorkPartition(index: index, count: count))
        #expect(part.description == text)
    }

    @Test(arguments: ["0/8", "9/8", "1/0", "2", "a/b", "1/2/3", "", "/4", "-1/4", " 1/4"])
    func refusesMalformedParts(_ text: String) {
        let error = #expect(throws: WorkPartitionError.self) { try WorkPartition(parsing: text) }
        #expect(
            error?.message
                == "invalid value '\(text)' for '--part': expected i/n with 1 <= i <= n, such as 2/8"
        )
    }

    /// Launcher variables → the part they describe.
    static let environments: [([String: String], WorkPartition?)] = [
        ([:], nil),
        (["SLURM_PROCID": "3", "SLURM_NTASKS": "4"], WorkPartition(index: 3, count: 4)),
        (["SLURM_NTASKS": "4"], nil),
        (
            ["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2"],
            WorkPartition(index: 0, count: 2)
        ),
        (["PMI_RANK": "5", "PMI_SIZE": "6"], WorkPartition(index: 5, count: 6)),
        (
            ["SLURM_PROCID": "1", "SLURM_NTASKS": "2", "PMI_RANK": "0", "PMI_SIZE": "2"],
            WorkPartition(index: 1, count: 2)
        ),
    ]

    @Test(arguments: environments)
    func readsTheLauncherRank(_ environment: [String: String], _ expected: WorkPartition?) throws {
        #expect(try WorkPartition.fromEnvironment(environment) == expected)
    }

    @Test func refusesARankOutsideTheWorld() {
        let error = #expect(throws: WorkPartitionError.self) {
            try WorkPartition.fromEnvironment(["PMI_RANK": "4", "PMI_SIZE": "4"])
        }
        #expect(
            error?.message
                == "invalid launcher rank PMI_RANK=4 with PMI_SIZE=4: expected a rank from 0 to size - 1"
        )
    }

    @Test func partOptionWinsOverTheLauncher() throws {
        let environment = ["SLURM_PROCID": "0", "SLURM_NTASKS": "4"]
        #expect(
            try WorkPartition.resolve(part: "2/3", environment: environment)
                == WorkPartition(index: 1, count: 3))
        #expect(
            try WorkPartition.resolve(part: nil, environment: environment)
                == WorkPartition(index: 0, count: 4))
        #expect(try WorkPartition.resolve(part: nil, environment: [:]) == .whole)
    }

    @Test(arguments: [1, 2, 3, 7, 8])
    func partsCoverEveryItemExactlyOnce(_ count: Int) {
        let items = Array(0..<61)
        var seen: [Int] = []
        for index in 0..<count {
            let part = WorkPartition(index: index, count: count)
            let share = part.share(of: items)
            #expect(share.allSatisfy(part.owns))
            // Round-robin: shares differ in size by at most one.
            #expect(abs(share.count - items.count / count) <= 1)
            seen += share
        }
        #expect(seen.sorted() == items)
    }

    @Test func dealsItemsRoundRobin() {
        let part = WorkPartition(index: 1, count: 3)
        #expect(part.share(of: Array("abcdefgh")) == Array("beh"))
        #expect(!WorkPartition.whole.share(of: [1, 2]).isEmpty)
        #expect(WorkPartition.whole.isWhole)
    }
}
