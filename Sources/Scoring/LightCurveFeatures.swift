import Foundation

/// The thirteen light-curve features the TOM's `elasticc2/ltcvfeatures` answers, computed as
/// PyPI's `light-curve` 0.9.6 computes them (its Rust `light-curve-feature` 0.7.1): the same
/// formulas in the same order of operations, so answers agree to rounding.
public struct LightCurveFeatures: Sendable, Equatable {
    /// Feature names in `light-curve`'s order, which is the TOM's order of keys.
    public static let names = [
        "anderson_darling_normal", "inter_percentile_range_5", "chi2", "stetson_K", "weighted_mean", "duration",
        "otsu_mean_diff", "otsu_std_lower", "otsu_std_upper", "otsu_lower_to_all_ratio",
        "linear_fit_slope", "linear_fit_slope_sigma", "linear_fit_reduced_chi2",
    ]
    /// AndersonDarlingNormal needs four points; every other feature fewer.
    public static let minimumPoints = 4

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case tooFewPoints(Int)
        /// All fluxes equal: the Anderson–Darling, χ², Stetson K and Otsu features are undefined.
        case flat
        case mismatchedLengths

        public var description: String {
            switch self {
            case .tooFewPoints(let count):
                "the light curve has \(count) point\(count == 1 ? "" : "s"); the features need at least \(LightCurveFeatures.minimumPoints)"
            case .flat: "every flux of the light curve is the same; the features need a varying light curve"
            case .mismatchedLengths: "times, fluxes and errors differ in length"
            }
        }
    }

    /// The values in `names`' order.
    public var values: [Double]

    /// - Parameters: times sorted ascending, fluxes and their errors (weights are 1/error²).
    public init(times: [Double], fluxes: [Double], errors: [Double]) throws(Problem) {
        guard times.count == fluxes.count, fluxes.count == errors.count else { throw .mismatchedLengths }
        let count = fluxes.count
        guard count >= Self.minimumPoints else { throw .tooFewPoints(count) }
        let weights = errors.map { 1 / ($0 * $0) }
        let sorted = fluxes.sorted()
        guard sorted[0] != sorted[count - 1] else { throw .flat }
        let n = Double(count)

        let mean = fluxes.reduce(0, +) / n
        let std = Self.sampleStandardDeviation(fluxes, mean: mean)
        var andersonSum = 0.0
        for (index, flux) in sorted.enumerated() {
            let x = (flux - mean) / std * 0.5.squareRoot()
            andersonSum += Double(2 * index + 1) * LogErfc.value(-x) + Double(2 * (count - index) - 1) * LogErfc.value(x)
        }
        let fiveOverN = 5 / n
        let andersonDarling = (1 + 4 / n - fiveOverN * fiveOverN) * (n * (2 * M_LN2 - 1) - andersonSum / n)

        let interPercentileRange = Self.percentPoint(sorted, Float(1) - Float(0.05)) - Self.percentPoint(sorted, Float(0.05))

        let weightedMean = zip(fluxes, weights).reduce(0) { $0 + $1.0 * $1.1 } / weights.reduce(0, +)
        let chi2 = zip(fluxes, weights).reduce(0) { $0 + ($1.0 - weightedMean) * ($1.0 - weightedMean) * $1.1 }
        let reducedChi2 = chi2 / (n - 1)
        guard reducedChi2 != 0 else { throw .flat }
        let stetsonK =
            zip(fluxes, weights).reduce(0) { $0 + abs($1.0 - weightedMean) * $1.1.squareRoot() } / (n * (reducedChi2 * (n - 1))).squareRoot()

        let duration = times[count - 1] - times[0]
        let otsu = Self.otsuSplit(sorted)
        let line = Self.straightLine(times: times, fluxes: fluxes, weights: weights)
        values = [
            andersonDarling, interPercentileRange, reducedChi2, stetsonK, weightedMean, duration,
            otsu.meanDifference, otsu.lowerStandardDeviation, otsu.upperStandardDeviation, otsu.lowerToAll,
            line.slope, line.slopeSigma, line.reducedChi2,
        ]
    }

    static func sampleStandardDeviation(_ values: some Collection<Double>, mean: Double) -> Double {
        (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
    }

    /// `SortedArray::ppf`: the position is worked out in single precision, as there.
    static func percentPoint(_ sorted: [Double], _ quantile: Float) -> Double {
        let h = Float(sorted.count) * quantile - 0.5
        let hFloor = h.rounded(.down)
        if hFloor < 0 { return sorted[0] }
        let index = Int(hFloor)
        if index >= sorted.count - 1 { return sorted[sorted.count - 1] }
        return sorted[index] + Double(h - hFloor) * (sorted[index + 1] - sorted[index])
    }

    /// Otsu's split of the sorted fluxes: the cut maximising the between-class variance (the
    /// first maximum), then the two parts' means, sample deviations and the lower part's share.
    static func otsuSplit(_ sorted: [Double]) -> (
        meanDifference: Double, lowerStandardDeviation: Double, upperStandardDeviation: Double, lowerToAll: Double
    ) {
        let count = sorted.count
        let countF = Double(count)
        var lowerSums = [Double](repeating: 0, count: count - 1)
        var running = 0.0
        for index in 0..<(count - 1) {
            running += sorted[index]
            lowerSums[index] = running
        }
        var upperSums = [Double](repeating: 0, count: count - 1)  // upperSums[i]: sum of sorted[(i+1)...]
        running = 0
        for index in stride(from: count - 1, through: 1, by: -1) {
            running += sorted[index]
            upperSums[index - 1] = running
        }
        var best = 0
        var bestVariance = -Double.infinity
        for index in 0..<(count - 1) {
            let amount = Self.linspaceElement(index, count: count - 1, from: 1, to: countF - 1)
            let upperAmount = Self.linspaceElement(count - 2 - index, count: count - 1, from: 1, to: countF - 1)
            let lowerMean = lowerSums[index] / amount
            let upperMean = upperSums[index] / upperAmount
            let w1 = amount / countF
            let w2 = 1 - w1
            let variance = w1 * w2 * (lowerMean - upperMean) * (lowerMean - upperMean)
            // ndarray-stats' argmax keeps the first of equal maxima; NaN never wins.
            if variance > bestVariance {
                bestVariance = variance
                best = index
            }
        }
        let lower = sorted[...best]
        let upper = sorted[(best + 1)...]
        let lowerMean = lower.reduce(0, +) / Double(lower.count)
        let upperMean = upper.reduce(0, +) / Double(upper.count)
        return (
            upperMean - lowerMean,
            lower.count == 1 ? 0 : sampleStandardDeviation(lower, mean: lowerMean),
            upper.count == 1 ? 0 : sampleStandardDeviation(upper, mean: upperMean),
            Double(lower.count) / countF
        )
    }

    /// ndarray's `Array1::linspace(start, end, n)[index]`.
    static func linspaceElement(_ index: Int, count: Int, from start: Double, to end: Double) -> Double {
        guard count > 1 else { return start }
        let step = (end - start) / Double(count - 1)
        return start + step * Double(index)
    }

    /// Weighted least squares (Press et al. §15.2, known errors).
    static func straightLine(times: [Double], fluxes: [Double], weights: [Double]) -> (slope: Double, slopeSigma: Double, reducedChi2: Double) {
        var s = 0.0
        var sx = 0.0
        var sy = 0.0
        for index in times.indices {
            s += weights[index]
            sx += weights[index] * times[index]
            sy += weights[index] * fluxes[index]
        }
        var stt = 0.0
        var sty = 0.0
        for index in times.indices {
            let t = times[index] - sx / s
            stt += weights[index] * t * t
            sty += weights[index] * t * fluxes[index]
        }
        let slope = sty / stt
        let intercept = (sy - sx * slope) / s
        var chi2 = 0.0
        for index in times.indices {
            let residual = fluxes[index] - intercept - slope * times[index]
            chi2 += residual * residual * weights[index]
        }
        return (slope, (1 / stt).squareRoot(), chi2 / (Double(times.count) - 2))
    }
}

/// ln erfc(x), as GSL's `gsl_sf_log_erfc` (which `light-curve-feature` translates): a series
/// near zero, an asymptotic ratio past 8, and the logarithm of erfc between.
enum LogErfc {
    static func value(_ x: Double) -> Double {
        if x * x < 2.4607833005759251e-02 { return smallAbsolute(x) }
        if x > 8 { return log(ratioPastEight(x)) - x * x }
        return log(erfc(x))
    }

    private static func series(_ coefficients: [Double], _ x: Double) -> Double {
        coefficients.reduce(0) { $0 * x + $1 }
    }

    private static func smallAbsolute(_ x: Double) -> Double {
        let coefficients: [Double] = [
            0.00048204, -0.00142906, 0.0013200243174, 0.0009461589032, -0.0045563339802, 0.00556964649138,
            0.00125993961762116, -0.01621575378835404, 0.02629651521057465, -0.001829764677455021,
            2 * (1 - Double.pi / 3), (4 - Double.pi) / 3, 1, 1, 0,
        ]
        return -2 * series(coefficients, x / 1.77245385090551602729816748334)
    }

    private static func ratioPastEight(_ x: Double) -> Double {
        let p: [Double] = [
            0.5641895835477550741253201704, 1.275366644729965952479585264, 5.019049726784267463450058,
            6.1602098531096305440906, 7.409740605964741794425, 2.97886562639399288862,
        ]
        let q: [Double] = [
            1.0, 2.260528520767326969591866945, 9.396034016235054150430579648, 12.0489519278551290360340491,
            17.08144074746600431571095, 9.608965327192787870698, 3.3690752069827527677,
        ]
        return series(p, x) / series(q, x)
    }
}
