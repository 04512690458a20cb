"""Writes a larger SNANA data set from the reference one, for benchmarking `ppdb load-snana`.

Each copy keeps every PHOT file byte for byte (PTROBS pointers are relative to their own
file) and rewrites the HEAD files with SNIDs shifted by copy x 10^9, so every copy is a new
set of objects. The DUMP truth file is copied as it is (it names the original objects only).

usage: scale_snana.py SOURCE_DIR... --copies N --out DIR
"""
import argparse
import multiprocessing
import os
import shutil

from astropy.io import fits

SHIFT = 1_000_000_000


def write_copy(task):
    source, target, head, copy = task
    phot = head.replace("HEAD.FITS.gz", "PHOT.FITS.gz")
    prefix = f"COPY{copy:03d}_"
    shutil.copy(os.path.join(source, phot), os.path.join(target, prefix + phot))
    with fits.open(os.path.join(source, head)) as hdus:
        table = hdus[1]
        snids = [str(int(s) + copy * SHIFT) for s in table.data["SNID"]]
        width = max((len(s) for s in snids), default=1)
        columns = [c if c.name != "SNID" else fits.Column(name="SNID", format=f"{width}A", array=snids)
                   for c in table.columns]
        hdu = fits.BinTableHDU.from_columns(columns, header=table.header)
        fits.HDUList([hdus[0], hdu]).writeto(os.path.join(target, prefix + head), overwrite=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--copies", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tasks = []
    for source in args.sources:
        name = os.path.basename(os.path.normpath(source))
        target = os.path.join(args.out, name)
        os.makedirs(target, exist_ok=True)
        shutil.copy(os.path.join(source, name + ".DUMP"), target)
        heads = sorted(f for f in os.listdir(source) if f.endswith("HEAD.FITS.gz"))
        tasks += [(source, target, head, copy) for copy in range(args.copies) for head in heads]
    with multiprocessing.Pool() as pool:
        pool.map(write_copy, tasks, chunksize=16)


if __name__ == "__main__":
    main()
