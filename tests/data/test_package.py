"""The data package as a whole: its public names, its catalog entries, and what importing it costs."""

import inspect
import subprocess
import sys

import pytest

from trainlab.data import AUGMENTATIONS, SAMPLERS
from trainlab.registry import DATASETS

DATA_REGISTRIES = {"dataset": DATASETS, "sampler": SAMPLERS, "augmentation": AUGMENTATIONS}
ENTRIES = [
    pytest.param(registry, name, id=f"{kind}:{name}")
    for kind, registry in DATA_REGISTRIES.items()
    for name in registry.names()
]


@pytest.mark.parametrize(("registry", "name"), ENTRIES)
def test_every_option_is_documented_in_the_args_section(registry, name):
    options = registry.get(name).describe()["options"]
    undocumented = [option for option, described in options.items() if not described["doc"]]
    assert not undocumented


@pytest.mark.parametrize("registry", [SAMPLERS, AUGMENTATIONS], ids=["samplers", "augmentations"])
def test_samplers_and_augmentations_register_their_class(registry):
    # One declaration per component: the class's __init__ is the option schema, no factory repeats it.
    for entry in registry:
        assert inspect.isclass(entry.factory), entry.name


def test_the_public_names_import_from_trainlab_data():
    from trainlab.data import (  # noqa: F401
        AUGMENTATIONS,
        SAMPLERS,
        Compose,
        CutMix,
        DataBundle,
        MinMaxScaler,
        Mixup,
        RawData,
        ResampledBatchIterator,
        Standardizer,
        bundle_from_python,
        check_bundle,
        check_finite,
        check_labels,
        load_data,
        long_tailed_counts,
        make_batch_iterator,
        make_long_tailed,
    )


def test_import_loads_no_heavy_library_and_still_registers_the_sklearn_datasets():
    code = (
        "import sys, trainlab.data\n"
        "from trainlab.registry import DATASETS\n"
        "assert {'digits', 'iris', 'wine', 'breast_cancer', 'moons'} <= set(DATASETS.names())\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'matplotlib', 'mnist1d') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
