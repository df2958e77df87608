"""The parts of HQ's exports (:mod:`fieldkit.hq.export` is the use case that puts them together):

- :mod:`.cells`: one value as a CSV or spreadsheet cell, guarded against formula injection;
- :mod:`.xlsx`: streamed workbooks (openpyxl's write-only mode);
- :mod:`.selection`: which records, read from the repository a page at a time, with consent;
- :mod:`.vocabularies`: code to label, from the vocabularies of the forms HQ holds;
- :mod:`.tables`: the analysis tables (one per repeat group) with a label beside each code;
- :mod:`.attachments`: decrypted copies of the selected records' files;
- :mod:`.codebook`: every field, code and label, with its sensitivity.
"""
