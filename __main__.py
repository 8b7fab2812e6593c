"""EvidentSource's Kafka prerequisites: topics, access and network, one stack per environment.

The program reads top-down in components/program.py; the folders of components/ are its
pipeline: config/ -> model/ -> safety/ -> resources/ -> outputs.py.
"""

from components import program, sdk_debug
from components.safety.check import Readers

sdk_debug.install()  # no debug round trip per resource to the engine (sdk_debug.py)
sdk_debug.stop_on_interrupt()  # Ctrl-C ends the program with one line, not a KeyboardInterrupt traceback
program.declare(Readers.real())  # the live cluster and the stack's state, read for real
