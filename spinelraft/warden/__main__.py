"""python -m spinelraft.warden warden.toml"""
import sys

from spinelraft.warden.server import main

sys.exit(main())
