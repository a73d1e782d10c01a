"""Collecting and preparing image data sets for StyleGAN2 training (`run.py prep`).

The pipeline, module by module: sources (what to read) -> decode / video (pixels) -> crop
(square, resized) -> dedupe and colorstats (what each picture looks like) -> writer (the
data set in dataset_tool.py's layout) and report (what happened, for a person to check).
"""
