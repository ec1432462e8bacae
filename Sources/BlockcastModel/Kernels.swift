import BlockcastFormats
import Foundation

/// The element-wise and per-row steps of the forward pass that BLAS does not cover.
enum Kernels {
    /// `y = x / sqrt(mean(x²) + eps) · g` for each of `rows` rows of `width` (model.md,
    /// "RMSNorm"); `x` and `y` have row strides `xStride` and `yStride` and may alias.
    static func rmsNorm(
        _ x: UnsafePointer<Float>, xStride: Int, rows: Int, width: Int, weight: [Float],
        eps: Float, into y: UnsafeMutablePointer<Float>, yStride: Int
    ) {
        precondition(weight.count == width, "rmsNorm: \(weight.count) weights for width \(width)")
        weight.withUnsafeBufferPointer { g in
            let g = g.baseAddress!
            parallelFor(rows) { r in
                let row = x + r * xStride
                var sum: Double = 0
                for c in 0..<width { sum += Double(row[c]) * Double(row[c]) }
                let inverse = 1 / (Float(sum / Double(max(width, 1))) + eps).squareRoot()
                let out = y + r * yStride
                for c in 0..<width { out[c] = row[c] * inverse * g[c] }
            }
        }
    }

    /// ``rmsNorm(_:xStride:rows:width:weight:eps:into:yStride:)`` on a contiguous array.
    static func rmsNorm(_ x: [Float], rows: Int, weight: [Float], eps: Float) -> [Float] {
        let width = weight.count
        precondition(x.count == rows * width, "rmsNorm: \(x.count) ≠ \(rows)×\(width)")
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                rmsNorm(
                    x.baseAddress!, xStride: width, rows: rows, width: width, weight: weight,
                    eps: eps, into: y.baseAddress!, yStride: width)
            }
        }
        return y
    }

    /// `gate = silu(gate) ⊙ up` in place, with `silu(z) = z / (1 + e^-z)`.
    static func siluMultiply(_ gate: inout [Float], _ up: [Float]) {
        precondition(gate.count == up.count, "siluMultiply: \(gate.count) ≠ \(up.count)")
        let count = gate.count
        gate.withUnsafeMutableBufferPointer { g in
            up.withUnsafeBufferPointer { u in
                let g = g.baseAddress!
                let u = u.baseAddress!
                let chunk = 1 << 14
                parallelFor((count + chunk - 1) / chunk) { task in
                    for i in (task * chunk)..<min((task + 1) * chunk, count) {
                        let z = g[i]
                        g[i] = z / (1 + Foundation.exp(-z)) * u[i]
                    }
                }
            }
        }
    }

    /// Softmax of `row[0 ..< valid]` in float32; entries from `valid` to `width` become 0 (the
    /// causal mask's −∞).
    @inline(__always)
    static func softmax(_ row: UnsafeMutablePointer<Float>, valid: Int, width: Int) {
        var largest = -Float.infinity
        for s in 0..<valid { largest = max(largest, row[s]) }
        var sum: Float = 0
        for s in 0..<valid {
            let e = Foundation.exp(row[s] - largest)
            row[s] = e
            sum += e
        }
        for s in 0..<valid { row[s] /= sum }
        for s in valid..<width { row[s] = 0 }
    }

    /// Element-wise `a += b`.
    static func add(_ a: inout [Float], _ b: [Float]) {
        precondition(a.count == b.count, "add: \(a.count) ≠ \(b.count)")
        a.withUnsafeMutableBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += b[i] }
            }
        }
    }
}
