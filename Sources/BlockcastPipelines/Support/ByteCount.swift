/// Sizes as people read them, in binary units: `512 B`, `12.0 MiB`, `3.4 GiB`.
package enum ByteCount {
    private static let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]

    /// `bytes` with one decimal in the largest unit that keeps the number at least 1.
    package static func text(_ bytes: Int64) -> String { text(Double(bytes)) }

    /// `bytes` (possibly fractional, such as a rate) with one decimal.
    package static func text(_ bytes: Double) -> String {
        var value = max(0, bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(value.rounded())) B" }
        return "\(DurationText.oneDecimal(value)) \(units[unit])"
    }
}

/// Durations as people read them.
package enum DurationText {
    /// `8.2 s` for the summary line.
    package static func secondsText(_ seconds: Double) -> String {
        "\(oneDecimal(seconds)) s"
    }

    /// `0:05`, `12:34` or `1:02:03` for the time left.
    package static func clockText(_ seconds: Double) -> String {
        let total = Int(max(0, seconds).rounded(.up))
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        let twoDigits = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        if hours > 0 { return "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" }
        return "\(minutes):\(twoDigits(secs))"
    }

    /// `value` rounded to one decimal, always printed with it: `3.0`, `12.5`.
    package static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((max(0, value) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
