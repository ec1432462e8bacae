import BlockcastPipelines
import Testing

@Suite struct ByteCountTests {
    @Test(arguments: [
        (0.0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"),
        (12_582_912, "12.0 MiB"), (3_650_722_202, "3.4 GiB"), (-5, "0 B"),
    ])
    func formatsInBinaryUnits(_ bytes: Double, _ expected: String) {
        #expect(ByteCount.text(bytes) == expected)
    }

    @Test(arguments: [(0.0, "0:00"), (4.2, "0:05"), (754, "12:34"), (3723, "1:02:03")])
    func formatsTimeLeft(_ seconds: Double, _ expected: String) {
        #expect(DurationText.clockText(seconds) == expected)
    }
}
