import BlockcastFormats
import Testing

@Suite struct E8M0Tests {
    @Test func everyPowerOfTwoRoundTrips() {
        for code in UInt8(0)...254 {
            let value = E8M0.decode(code)
            #expect(value == Float(sign: .plus, exponent: Int(code) - 127, significand: 1))
            #expect(E8M0.encode(powerOfTwo: value) == code, "code \(code)")
        }
        #expect(E8M0.decode(0xFF).isNaN)
    }

    @Test func bulkCodecsMatchTheScalarOnes() {
        let codes = (0..<256).map { UInt8($0) }
        var values = [Float](repeating: 0, count: 256)
        codes.withUnsafeBufferPointer { s in
            values.withUnsafeMutableBufferPointer { E8M0.decode(s, into: $0) }
        }
        #expect(zip(codes, values).allSatisfy { E8M0.decode($0).bitPattern == $1.bitPattern })

        var generator = SplitMix64(seed: 3)
        let inputs = (0..<70_000).map { _ in
            Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
        }
        var encoded = [UInt8](repeating: 0, count: inputs.count)
        inputs.withUnsafeBufferPointer { s in
            encoded.withUnsafeMutableBufferPointer { E8M0.encode(s, into: $0) }
        }
        #expect(zip(inputs, encoded).allSatisfy { E8M0.encode(powerOfTwo: $0) == $1 })
    }

    @Test func otherValuesFollowTheDocumentedRules() {
        #expect(E8M0.encode(powerOfTwo: 1) == 127)
        #expect(E8M0.encode(powerOfTwo: 3) == 129)
        #expect(E8M0.encode(powerOfTwo: 0x1.000002p0) == 128)
        #expect(E8M0.encode(powerOfTwo: 0) == 0)
        #expect(E8M0.encode(powerOfTwo: 0x1.8p-127) == 1)
        #expect(E8M0.encode(powerOfTwo: 0x1.8p127) == 0xFF)
        #expect(E8M0.encode(powerOfTwo: .infinity) == 0xFF)
        #expect(E8M0.encode(powerOfTwo: .nan) == 0xFF)
        #expect(E8M0.encode(powerOfTwo: -1) == 0xFF)
    }

    @Test(arguments: [Float(0), 1e-4, 0.3, 1, 447, 448, 449, 3e4, 1e30])
    func ue8m0ScalesArePowersOfTwoNotBelowAmaxOver448(amax: Float) {
        let scale = ScaleFormat.ue8m0.scale(forAmax: amax)
        let exact = max(amax, 1e-4) / 448
        #expect(scale.significandBitPattern == 0 && scale >= exact && scale / 2 < exact)
        #expect(ScaleFormat.float32.scale(forAmax: amax) == exact)
    }
}
