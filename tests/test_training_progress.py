"""``print_progress``: "Epoch e - Loss: C = ..." every ``every`` epochs, to the file given,
with the first document's mse = 2 C / n_L when n_L is given."""
import io

from reference.training import print_progress


def test_progress_prints_every_given_epoch_to_the_file_given_with_the_documents_mse():
    out = io.StringIO()
    report = print_progress(2, file=out, n_L=4)
    for epoch, value in ((1, 0.5), (2, 0.25), (3, 0.125), (4, 0.1)):
        report(epoch, value)
    assert out.getvalue().splitlines() == [
        "Epoch 2 - Loss: C = 0.250000, mse = 2C/n_L = 0.125000",
        "Epoch 4 - Loss: C = 0.100000, mse = 2C/n_L = 0.050000",
    ]


def test_without_n_L_only_c_is_printed(capsys):
    report = print_progress(1)
    report(3, 0.75)
    assert capsys.readouterr().out == "Epoch 3 - Loss: C = 0.750000\n"
