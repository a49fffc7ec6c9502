from rich.console import Console

from expansion_propensity.scoring.terminal import print_summary, top_table

from .test_report import MANIFEST, sample_scores


def render(renderable=None, manifest=None) -> str:
    console = Console(record=True, width=200)
    if renderable is not None:
        console.print(renderable)
    else:
        print_summary(sample_scores(), manifest, console)
    return console.export_text()


def test_top_table_labels_propensity_rank():
    text = render(top_table(sample_scores()))

    assert "propensity rank" in text


def test_summary_ends_with_warnings():
    warnings = ["This model is not the champion: it scores near chance [test]"]

    lines = render(manifest={**MANIFEST, "warnings": warnings}).strip().splitlines()

    assert lines[-1] == f"Warning: {warnings[0]}"


def test_summary_without_warnings():
    text = render(manifest=MANIFEST)

    assert "Warning:" not in text
