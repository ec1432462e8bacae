import BlockcastArguments
import Testing

@Suite struct ArgumentErrorTests {
    @Test func carriesItsMessage() {
        #expect(ArgumentError(message: "unknown option '--x'").message == "unknown option '--x'")
    }
}
