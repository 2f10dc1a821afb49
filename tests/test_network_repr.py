"""A network is written the way it is built: repr(net) is the constructor call, so every
message that names a network can be pasted back into Python."""
from reference import Network


def test_repr_is_the_constructor_call_and_round_trips():
    for net, text in ((Network([2, 3, 1]), "Network([2, 3, 1])"),
                      (Network([3, 4, 4, 2], output="identity"), "Network([3, 4, 4, 2], output='identity')")):
        assert repr(net) == text
        assert eval(text, {"Network": Network}) == net
