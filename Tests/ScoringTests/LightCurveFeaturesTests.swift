import Foundation
import SeededRandom
import TestSupport
import Testing

@testable import Scoring

/// Our features against PyPI's `light-curve` 0.9.6 itself, run as the TOM runs it.
@Suite("Light-curve features: the TOM's thirteen, as light-curve 0.9.6 computes them")
struct LightCurveFeaturesTests {
    struct Curve: Codable {
        var t: [Double]
        var m: [Double]
        var sigma: [Double]
    }

    /// Curves of the shapes the PPDB holds (a rise and fall over noise, fluxes of either sign)
    /// and the awkward ones: the fewest points, repeated fluxes and times, outliers, huge spans.
    static func curves() -> [Curve] {
        var random = SplitMix64(state: 20_231_206)
        var curves: [Curve] = []
        for size in [4, 5, 6, 7, 10, 19, 20, 21, 37, 100, 250, 1000] {
            for shape in 0..<4 {
                var t: [Double] = []
                var m: [Double] = []
                var sigma: [Double] = []
                var time = 60_000 + Double.random(in: 0..<1000, using: &random)
                let peak = time + Double.random(in: 0..<100, using: &random)
                let height = shape == 3 ? 1e7 : Double.random(in: 10..<5000, using: &random)
                for _ in 0..<size {
                    // Some visits share a night's time, as several bands do.
                    time += shape == 1 && Bool.random(using: &random) ? 0 : Double.random(in: 0.01..<5, using: &random)
                    let error = Double(Float(Double.random(in: 1..<40, using: &random)))
                    var flux = height * exp(-abs(time - peak) / 20) + Double.random(in: -2..<2, using: &random) * error
                    if shape == 2 { flux = (flux / 50).rounded() * 50 }  // many equal fluxes
                    if shape == 3 && Int.random(in: 0..<10, using: &random) == 0 { flux = -flux * 30 }  // outliers
                    t.append(time)
                    m.append(Double(Float(flux)))
                    sigma.append(error)
                }
                curves.append(Curve(t: t, m: m, sigma: sigma))
            }
        }
        curves.append(Curve(t: [1, 2, 3, 4], m: [1, 1, 1, 2], sigma: [1, 1, 1, 1]))
        curves.append(Curve(t: [1, 2, 3, 4], m: [0, 1, 0, 1], sigma: [0.5, 0.25, 2, 1]))
        curves.append(Curve(t: [1, 1, 1, 2], m: [-3, 7, 7, 7], sigma: [0.1, 3, 3, 30]))
        return curves
    }

    @Test("Every feature agrees with light-curve's to 1e-6, relative, on 51 curves; in its names and order")
    func agreesWithLightCurve() throws {
        let curves = Self.curves()
        let output = try TestEnvironment.runPython(
            script: "light_curve_features.py", arguments: [], input: String(decoding: try JSONEncoder().encode(curves), as: UTF8.self))
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        #expect(answers.count == curves.count)
        var compared = 0
        for (curve, answer) in zip(curves, answers) {
            let names = try #require(answer["names"] as? [String], "light-curve failed: \(answer)")
            #expect(answer["version"] as? String == "0.9.6")
            #expect(names == LightCurveFeatures.names)
            let theirs = try #require(answer["values"] as? [Double])
            let ours = try LightCurveFeatures(times: curve.t, fluxes: curve.m, errors: curve.sigma).values
            for (index, (mine, reference)) in zip(ours, theirs).enumerated() {
                let scale = max(abs(mine), abs(reference))
                #expect(abs(mine - reference) <= 1e-6 * scale, "\(names[index]) of a \(curve.t.count)-point curve: \(mine) against \(reference)")
                compared += 1
            }
        }
        #expect(compared == curves.count * 13)
    }

    @Test("Fewer than four points and flat curves are refused with the count, as light-curve refuses them")
    func refusals() throws {
        #expect(throws: LightCurveFeatures.Problem.tooFewPoints(3)) {
            try LightCurveFeatures(times: [1, 2, 3], fluxes: [1, 2, 3], errors: [1, 1, 1])
        }
        #expect(LightCurveFeatures.Problem.tooFewPoints(3).description.contains("3 points"))
        #expect(throws: LightCurveFeatures.Problem.flat) {
            try LightCurveFeatures(times: [1, 2, 3, 4], fluxes: [5, 5, 5, 5], errors: [1, 1, 1, 1])
        }
        let output = try TestEnvironment.runPython(
            script: "light_curve_features.py", arguments: [],
            input: #"[{"t": [1, 2, 3], "m": [1, 2, 3], "sigma": [1, 1, 1]}, {"t": [1, 2, 3, 4], "m": [5, 5, 5, 5], "sigma": [1, 1, 1, 1]}]"#)
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        #expect(answers.allSatisfy { $0["error"] != nil })
    }
}
