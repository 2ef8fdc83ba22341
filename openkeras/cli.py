"""The ``openkeras`` command line: summary, convert, demo, run, check, alias, export.

Each subcommand is one entry of ``COMMANDS``: a help line, a function adding its arguments to
its parser, and a function running it that returns the exit status. Add a command by adding
an entry.
"""

import argparse
import json
import sys

from openkeras import demo, saving
from openkeras.compat import check, runner, site_alias
from openkeras.export import ExportCheckError, export_model
from openkeras.saving import hdf5_format
from openkeras.utils.layer_utils import summary_dict


def _add_summary(parser):
    parser.add_argument("file", help="a Keras .h5/.hdf5 model or weights file, or a .keras archive")
    parser.add_argument("--line-length", type=int, default=None, help="width of the table")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as JSON (layers, shapes, parameter counts)")
    parser.add_argument("--no-safe-mode", action="store_true",
                        help="allow Lambda layers holding Python bytecode (trusted files only)")


def _run_summary(args):
    try:
        model = saving.load_model(args.file, compile=False, safe_mode=not args.no_safe_mode)
    except ValueError as e:
        if "No model found in config file" not in str(e):
            raise
        info = _weights_file_info(args.file)
        if args.json:
            print(json.dumps(info, indent=2))
        else:
            _print_weights_table(info)
        return 0
    if args.json:
        print(json.dumps({"file": args.file, "kind": "model", **summary_dict(model)}, indent=2))
    else:
        model.summary(line_length=args.line_length)
    return 0


def _weights_file_info(path):
    """The layers, weight names and shapes of a weights-only file, as plain data."""
    with hdf5_format.open_h5(path) as f:
        group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        version = hdf5_format.attr_text(group.attrs, "keras_version")
        layers, total = [], 0
        for name in hdf5_format.load_attributes(group, "layer_names"):
            names, values = hdf5_format.read_layer_weights(group, name)
            layers.append({"name": name, "weights": [
                {"name": weight, "shape": list(value.shape)}
                for weight, value in zip(names, values, strict=True)]})
            total += sum(int(value.size) for value in values)
    return {"file": path, "kind": "weights", "keras_version": version, "layers": layers,
            "total_params": total}


def _print_weights_table(info):
    """A table of the layers and weight shapes of a weights-only file."""
    version = info["keras_version"] or "1 (no version stored)"
    print(f'Weights file: "{info["file"]}" (keras_version {version})')
    print(f"{'Layer':<32}{'Weight':<40}Shape")
    print("=" * 90)
    for layer in info["layers"]:
        if not layer["weights"]:
            print(f"{layer['name']:<32}{'(no weights)':<40}")
        for i, weight in enumerate(layer["weights"]):
            print(f"{layer['name'] if i == 0 else '':<32}{weight['name']:<40}"
                  f"{tuple(weight['shape'])}")
    print("=" * 90)
    print(f"Total params: {info['total_params']:,}")


def _add_convert(parser):
    parser.add_argument("input", help="source file (.h5/.hdf5 or .keras)")
    parser.add_argument("output", help="destination (.h5/.hdf5: Keras 2 HDF5, .keras: archive)")
    parser.add_argument("--no-safe-mode", action="store_true",
                        help="allow Lambda layers holding Python bytecode (trusted files only)")


def _run_convert(args):
    keep_training = not args.output.endswith(".keras")
    model = saving.load_model(args.input, compile=keep_training, safe_mode=not args.no_safe_mode)
    saving.save_model(model, args.output)
    print(f"Converted {args.input} -> {args.output}")
    return 0


def _add_demo(parser):
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: by data set)")
    parser.add_argument("--max-train", type=int, default=None, help="use at most this many MNIST images")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="fit's verbosity")


def _run_demo(args):
    """Train the tutorial MNIST CNN, evaluate it, save it to HDF5 and reload it."""
    demo.run(epochs=args.epochs, max_train=args.max_train, verbose=args.verbose)
    return 0


def _add_run(parser):
    parser.add_argument("script", help="the Keras 2 script to run (`import keras` works unchanged)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")


def _run_run(args):
    """Run a script as __main__ with `keras` imports resolved to openkeras."""
    return runner.run_script(args.script, args.args)


def _add_check(parser):
    parser.add_argument("script", nargs="?",
                        help="the Keras 2 script to examine (it is not run); without one, "
                             "check every public name of Keras 2.2.4 and 2.3.1")
    parser.add_argument("--json", action="store_true",
                        help="print the report as JSON (one entry per API used)")


def _run_check(args):
    """Print the Keras APIs a script uses and whether openkeras supports each one."""
    if args.script is None:
        return check.check_keras2_api(as_json=args.json)
    return check.check_script(args.script, as_json=args.json)


def _add_alias(parser):
    parser.add_argument("action", choices=("install", "uninstall", "status"),
                        help="install / remove the environment-wide `keras` alias, or show "
                             "what `import keras` resolves to")
    parser.add_argument("--force", action="store_true",
                        help="install even though a real keras distribution is installed")
    parser.add_argument("--site-dir", default=None,
                        help="the site-packages folder to use (default: the active "
                             "environment's)")


def _run_alias(args):
    """Install, remove or report the `.pth` file that aliases `keras` to openkeras."""
    if args.action == "install":
        try:
            print(site_alias.install(args.site_dir, force=args.force))
        except RuntimeError as e:
            print(f"openkeras alias: refused: {e}", file=sys.stderr)
            return 1
    elif args.action == "uninstall":
        print(site_alias.uninstall(args.site_dir))
    else:
        for line in site_alias.format_status(site_alias.status(args.site_dir)):
            print(line)
    return 0


def _add_export(parser):
    parser.add_argument("input", help="a model file openkeras loads (.h5/.hdf5 from Keras 1/2/tf.keras, .keras)")
    parser.add_argument("output", help="destination: .pt/.ts TorchScript, .pt2 torch.export, .onnx ONNX")
    parser.add_argument("--format", choices=("torchscript", "torch_export", "onnx"), default=None,
                        help="the format (default: from the output's extension)")
    parser.add_argument("--no-check", action="store_true",
                        help="do not load the artifact back to compare its outputs with the model's")
    parser.add_argument("--no-safe-mode", action="store_true",
                        help="allow Lambda layers holding Python bytecode (trusted files only)")


def _run_export(args):
    """Load a model file and export it; the output check's result is printed."""
    model = saving.load_model(args.input, compile=False, safe_mode=not args.no_safe_mode)
    try:
        export_model(model, args.output, args.format, check=not args.no_check)
    except ExportCheckError as e:
        print(f"openkeras export: check failed: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"openkeras export: error: {e}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {
    "summary": ("print the summary of a saved model", _add_summary, _run_summary),
    "convert": ("convert a model file between Keras 2 HDF5 and the .keras archive",
                _add_convert, _run_convert),
    "demo": ("train the tutorial MNIST CNN, evaluate it, save it to HDF5 and reload it", _add_demo, _run_demo),
    "run": ("run a Keras 2 script unchanged: `keras` imports resolve to openkeras",
            _add_run, _run_run),
    "check": ("list the Keras APIs a script uses and whether openkeras supports each one",
              _add_check, _run_check),
    "alias": ("make `import keras` import openkeras in every Python process of this "
              "environment (opt-in; `uninstall` undoes it)", _add_alias, _run_alias),
    "export": ("export a model file to TorchScript (.pt), torch.export (.pt2) or ONNX (.onnx), "
               "checking the artifact's outputs", _add_export, _run_export),
}


def build_parser():
    """The argparse parser with one subparser per entry of ``COMMANDS``."""
    parser = argparse.ArgumentParser(prog="openkeras", description="The Keras 2 API on PyTorch.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (help_text, add_arguments, _) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status (errors are printed, not raised)."""
    args = build_parser().parse_args(argv)
    run = COMMANDS[args.command][2]
    try:
        return run(args)
    except (OSError, ValueError, TypeError, NotImplementedError) as e:
        print(f"openkeras {args.command}: error: {e}", file=sys.stderr)
        return 1
