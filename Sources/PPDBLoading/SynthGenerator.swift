import AvroSchemas
import Foundation
import TOMDatabase

/// Generates realistic ELAsTiCC-like PPDB rows: LSST-like cadence (WFD revisits every few days
/// in observing seasons, DDF nightly visits in several filters), transient light curves with
/// photon and sky noise, detections at S/N ≥ 5 as sources and alerts, forced photometry over
/// every visit from months before the first detection to about a year after the last, and
/// truth rows.
///
/// Shaped after the TOM's snapshot (`scripts/bench` prints both, the README compares them), so
/// that alerts have the real size and a night's forced-source reads the real work: the cadence,
/// the forced photometry's span around the detections, the sources an object and the previous
/// sources an alert carries.
public struct SynthGenerator: Sendable {
    public struct Settings: Sendable, Equatable {
        public var objects: Int
        public var seed: UInt64
        public var ddfFraction: Double
        public var startMJD: Double
        public var days: Double
        /// The first object's id; sources are `objectId × 100000 + i`, as the TOM numbers them.
        public var firstObjectId: Int64
        /// How long forced photometry goes on after an object's last detection (the snapshot: 329
        /// days). No alert carries those rows and `update-sources` never promotes them: 0 leaves
        /// them out, as a PPDB has none yet on the night of the last detection.
        public var forcedDaysAfterDetection: Double

        public init(
            objects: Int, seed: UInt64 = 1, ddfFraction: Double = 0.01, startMJD: Double = 60_500, days: Double = 365,
            firstObjectId: Int64 = 10_000_000, forcedDaysAfterDetection: Double = SynthGenerator.snapshotForcedDaysAfterDetection
        ) {
            self.forcedDaysAfterDetection = forcedDaysAfterDetection
            self.objects = objects
            self.seed = seed
            self.ddfFraction = ddfFraction
            self.startMJD = startMJD
            self.days = days
            self.firstObjectId = firstObjectId
        }
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    static let filters = ["u", "g", "r", "i", "z", "Y"]
    /// Single-visit 5σ depths (AB mag) by filter, roughly LSST's.
    static let depth: [Double] = [23.9, 25.0, 24.7, 24.0, 23.3, 22.1]
    /// The five deep-drilling fields (ra, dec in degrees).
    static let ddfFields: [(Double, Double)] = [(9.45, -44.0), (35.71, -4.75), (53.13, -28.1), (150.1, 2.18), (61.24, -48.42)]
    /// ELAsTiCC2 truth gentypes with rough relative rates.
    static let gentypes: [(Int32, Double)] = [
        (10, 0.30), (11, 0.04), (12, 0.05), (20, 0.06), (21, 0.08), (25, 0.05), (26, 0.04),
        (27, 0.02), (30, 0.10), (31, 0.06), (32, 0.03), (35, 0.02), (36, 0.02), (37, 0.03),
        (40, 0.03), (42, 0.02), (45, 0.02), (46, 0.01), (59, 0.01), (60, 0.01),
    ]
    /// Objects with month-long light curves.
    static let longLivedFraction = 0.15
    enum WFDCadence {
        static let first = 0.42
        static let second = 0.13
    }
    static let fluxScale = pow(10.0, (31.4 - 27.5) / 2.5)
    /// Forced photometry starts this long before the first detection (the snapshot: 109 days on average).
    static let forcedDaysBeforeDetection = 110.0
    /// Forced photometry ends this long after the last detection (the snapshot: 329 days).
    public static let snapshotForcedDaysAfterDetection = 330.0
    /// Visits are drawn this long past the window of peaks, for that forced photometry.
    static let photometryDaysAfterWindow = 400.0

    /// The object at `index`; each object has its own random stream, so any index can be made alone.
    func makeObject(_ index: Int) -> SynthObject {
        var random = SynthRandom(seed: settings.seed, stream: UInt64(index))
        let objectId = settings.firstObjectId + Int64(index)
        let isDDF = random.uniform() < settings.ddfFraction
        let (ra, dec): (Double, Double)
        if isDDF {
            let field = random.pick(Self.ddfFields)
            ra = (field.0 + random.gaussian() * 0.7 + 360).truncatingRemainder(dividingBy: 360)
            dec = max(-89.9, min(89.9, field.1 + random.gaussian() * 0.7))
        } else {
            ra = random.uniform(0, 360)
            dec = asin(random.uniform(-1, 0.45)) * 180 / .pi
        }

        // Objects that were never detected are not in a PPDB: draw again (a few times) until one is.
        var photometry: [(mjd: Double, filter: Int, flux: Double, error: Double)] = []
        var firstDetection: Double?
        var peakMJD = 0.0
        var peakMag = 0.0
        var redshift = 0.0
        var colour: [Double] = []
        for _ in 0..<12 {
            (photometry, peakMJD, peakMag, colour, redshift) = drawLightCurve(&random, ra: ra, isDDF: isDDF)
            firstDetection = photometry.first { $0.flux / $0.error >= 5 }?.mjd
            if firstDetection != nil { break }
        }

        var sources: [DiaSource] = []
        var forced: [DiaForcedSource] = []
        if let firstDetection {
            var counter: Int64 = 0
            let lastDetection = photometry.last { $0.flux / $0.error >= 5 }?.mjd ?? firstDetection
            for point in photometry
            where point.mjd >= firstDetection - Self.forcedDaysBeforeDetection && point.mjd <= lastDetection + settings.forcedDaysAfterDetection {
                let id = objectId * 100_000 + counter
                counter += 1
                let flux = Float(point.flux)
                let error = Float(point.error)
                forced.append(
                    DiaForcedSource(
                        diaForcedSourceId: id, diaObjectId: objectId, midPointTai: point.mjd,
                        filterName: Self.filters[point.filter], psFlux: flux, psFluxErr: error))
                if point.flux / point.error >= 5 {
                    sources.append(
                        DiaSource(
                            diaSourceId: id, diaObjectId: objectId, midPointTai: point.mjd,
                            filterName: Self.filters[point.filter], ra: ra, decl: dec,
                            psFlux: flux, psFluxErr: error, snr: flux / error))
                }
            }
        }

        var floats = [Float?]()
        floats.reserveCapacity(DiaObject.optionalFloatFieldNames.count)
        let hostZ = redshift * (1 + random.gaussian() * 0.03)
        for name in DiaObject.optionalFloatFieldNames {
            let value: Double?
            switch name {
            case "mwebv": value = random.uniform(0.005, 0.15)
            case "mwebv_err": value = random.uniform(0.001, 0.01)
            case "z_final", "hostgal_zphot", "hostgal_zspec": value = hostZ
            case "z_final_err", "hostgal_zphot_err": value = 0.01 + 0.05 * random.uniform()
            case "hostgal_zspec_err": value = 0.001
            case _ where name.hasPrefix("hostgal2"): value = random.uniform() < 0.7 ? nil : random.uniform(0.1, 25)
            case _ where name.contains("zphot_q"): value = max(0, hostZ + random.gaussian() * 0.05)
            case _ where name.contains("magerr"): value = random.uniform(0.01, 0.3)
            case _ where name.contains("_mag_"): value = random.uniform(19, 26)
            case "hostgal_ra": value = ra + random.gaussian() * 1e-4
            case "hostgal_dec": value = dec + random.gaussian() * 1e-4
            default: value = random.uniform(0, 3)
            }
            floats.append(value.map { Float($0) })
        }

        let gentype: Int32 = {
            var draw = random.uniform()
            for (type, rate) in Self.gentypes {
                draw -= rate
                if draw <= 0 { return type }
            }
            return 10
        }()
        // Truth values in TOMSchema.truthColumns order (libid … nobs_saturate), diaobject_id left out.
        let snrs = sources.map { Double($0.snr) }.sorted(by: >)
        var truth: [Double?] = [Double(random.next() % 1000), 3, Double(gentype), Double(random.next() % 500)]
        truth += [redshift, redshift * 0.999, redshift * 1.001, ra, dec, floats[0].map(Double.init) ?? 0.05]
        truth += [Double(random.next() % 100_000_000), hostZ, 0.03, random.uniform(0, 2), random.uniform(0, 5)]
        truth += [3.1, random.uniform(0, 1), 5 * log10(max(redshift, 0.001) * 4.3e9) + 25, 0, peakMJD]
        truth += [firstDetection ?? peakMJD, sources.last?.midPointTai ?? peakMJD, random.uniform(-100, 100)]
        for band in 0..<6 { truth.append(peakMag + colour[band]) }
        truth += [snrs.first ?? 0, snrs.dropFirst().first ?? 0, snrs.dropFirst(2).first ?? 0, Double(forced.count), 0]
        return SynthObject(
            object: DiaObject(diaObjectId: objectId, simVersion: "synth-\(settings.seed)", ra: ra, decl: dec, optionalFloats: floats),
            isDDF: isDDF, sources: sources, forcedSources: forced, truth: truth, truthGentype: gentype)
    }

    /// A Bazin-like rise and fall around a peak inside the window, observed on the object's visits.
    private func drawLightCurve(_ random: inout SynthRandom, ra: Double, isDDF: Bool)
        -> ([(mjd: Double, filter: Int, flux: Double, error: Double)], Double, Double, [Double], Double)
    {
        let peakMJD = settings.startMJD + random.uniform(-20, settings.days)
        let peakMag = random.uniform(24.0, 26.4)
        // Most transients last days to weeks; a few (superluminous, TDE- and AGN-like) months,
        // which gives the snapshot's tail (a few objects with 50 sources). Falling slower than
        // rising: the other way round, the shape grows without bound into the past (objects
        // detected for 450 days at S/N 700, which made the size tail).
        let isLong = random.uniform() < Self.longLivedFraction
        let rise = isLong ? random.uniform(10, 40) : exp(random.uniform(log(1.5), log(8)))
        let fall = rise + (isLong ? random.uniform(30, 150) : exp(random.uniform(log(3), log(30))))
        let colour = (0..<6).map { _ in random.gaussian() * 0.4 }
        let redshift = random.uniform(0.02, 1.2)

        // Visits: a season of about 200 days centred by right ascension.
        let seasonCentre = settings.startMJD + (ra / 360) * 365.25
        var visits: [(Double, Int)] = []
        var night = floor(settings.startMJD - 20 - Self.forcedDaysBeforeDetection) + 0.5
        while night < settings.startMJD + settings.days + Self.photometryDaysAfterWindow {
            let phase = (night - seasonCentre).truncatingRemainder(dividingBy: 365.25)
            let inSeason = abs(phase < -182.6 ? phase + 365.25 : (phase > 182.6 ? phase - 365.25 : phase)) < 100
            if inSeason {
                if isDDF {
                    for filter in [1, 2, 3, 4] where random.uniform() < 0.9 {
                        visits.append((night + 0.01 * Double(filter) + random.uniform(0, 0.005), filter))
                    }
                    night += 1
                } else {
                    // About 0.55 visits a night in season, 0.3 a night over the year, sometimes two filters in a night.
                    if random.uniform() < WFDCadence.first { visits.append((night + random.uniform(-0.15, 0), Int(random.next() % 6))) }
                    if random.uniform() < WFDCadence.second { visits.append((night + random.uniform(0.01, 0.15), Int(random.next() % 6))) }
                    night += 1
                }
            } else {
                night += 1
            }
        }

        var photometry: [(mjd: Double, filter: Int, flux: Double, error: Double)] = []
        photometry.reserveCapacity(visits.count)
        for (mjd, filter) in visits {
            let dt = mjd - peakMJD
            let shape = exp(-dt / fall) / (1 + exp(-dt / rise))
            let trueFlux = pow(10.0, (31.4 - (peakMag + colour[filter])) / 2.5) * shape * 2
            let sky = pow(10.0, (31.4 - Self.depth[filter]) / 2.5) / 5
            let error = (sky * sky + max(trueFlux, 0) * 9).squareRoot() * random.uniform(0.9, 1.1)
            photometry.append((mjd, filter, trueFlux + random.gaussian() * error, error))
        }
        return (photometry, peakMJD, peakMag, colour, redshift)

    }
}
