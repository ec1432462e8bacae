import BlockcastContainers
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(
            #"{"a": [1, -2, 3.5, 1e-6, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00","#
                + #" "big": 18446744073709551616, "o": {}}"#)
        #expect(value["a"] == [1, -2, 3.5, 1e-6, true, false, nil])
        #expect(value["s"]?.stringValue == "x\"\\/\n\u{e9}\u{1F600}")
        #expect(value["big"]?.doubleValue == 18_446_744_073_709_551_616)
        #expect(value["big"]?.intValue == nil)
        #expect(value["o"] == [:])
        #expect(value["missing"] == nil)
        #expect(value["a"]?[0]?.intValue == 1)
        #expect(value["a"]?[9] == nil)
    }

    @Test func serializesWithSortedKeysAndRoundTrips() throws {
        let value: JSONValue = [
            "z": 1, "a": ["x": "\u{1}\"", "n": 2.5], "list": [1.0, nil, false],
        ]
        let text = value.serialized()
        #expect(text == #"{"a":{"n":2.5,"x":"\u0001\""},"list":[1.0,null,false],"z":1}"#)
        #expect(try JSONValue.parse(text) == value)
        #expect(try JSONValue.parse(value.prettySerialized()) == value)
    }

    @Test(arguments: [
        ("", "unexpected end of text at byte 0"),
        ("{\"a\":1,}", "expected a key at byte 7"),
        ("[1 2]", "expected ',' or ']' at byte 3"),
        ("{\"a\":1,\"a\":2}", "duplicate key \"a\" at byte 7"),
        ("01", "unexpected text after the JSON value at byte 1"),
        ("\"\\ud800\"", "unpaired surrogate at byte 7"),
        ("\"\u{1}\"", "control character in string at byte 1"),
        ("-", "invalid number at byte 1"),
        ("1.", "invalid number at byte 2"),
        ("tru", "truncated literal at byte 0"),
        (String(repeating: "[", count: 100), "nesting deeper than 64 at byte 64"),
    ])
    func refusesMalformedText(text: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        do {
            _ = try JSONValue.parse(text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func refusesInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }

    @Test func roundTripsThroughCodable() throws {
        let value: JSONValue = ["k": [1, "two", 3.5, true, nil, ["x": [:]]]]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
        #expect(try JSONValue.parse([UInt8](data)) == value)
    }
}
