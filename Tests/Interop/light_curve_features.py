"""The TOM's light-curve features, computed by PyPI's light-curve (a peer nobody here wrote).

usage: light_curve_features.py < curves.json
stdin: a JSON list of {"t": [...], "m": [...], "sigma": [...]}; stdout: a JSON list with, for
each curve, {"names": [...], "values": [...]} or {"error": "..."}. The extractor is the TOM's
(elasticc2/views.py LtcvFeatures), called as it calls it.
"""
import json
import sys

import light_curve
import numpy

extractor = light_curve.Extractor(
    light_curve.AndersonDarlingNormal(),
    light_curve.InterPercentileRange(0.05),
    light_curve.ReducedChi2(),
    light_curve.StetsonK(),
    light_curve.WeightedMean(),
    light_curve.Duration(),
    light_curve.OtsuSplit(),
    light_curve.LinearFit(),
)
out = []
for curve in json.load(sys.stdin):
    try:
        # The TOM's values come from float columns; JSON may have written 1.0 as 1.
        t, m, sigma = (numpy.array(curve[key], dtype=numpy.float64) for key in ("t", "m", "sigma"))
        values = extractor(t, m, sigma, sorted=True, check=False)
        out.append({"names": list(extractor.names), "values": [float(v) if numpy.isfinite(v) else None for v in values], "version": light_curve.__version__})
    except Exception as error:  # noqa: BLE001 - the error text is the answer
        out.append({"error": f"{type(error).__name__}: {error}"})
json.dump(out, sys.stdout)
