"""The bug catalogue (issue 6): buggy backprop implementations the suite must catch and
name, and correct variants it must never flag.  ``tests.catalogue.catalogue`` lists them."""
