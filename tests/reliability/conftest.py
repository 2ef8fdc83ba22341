import os
import sys

# fuzz_lib.py is shared by test_fuzz.py and tools/fuzz_files.py
sys.path.insert(0, os.path.dirname(__file__))
