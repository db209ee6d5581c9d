"""What ``--data-dir`` keeps on disk, shared by the packages that keep something there
(``delivery.persist``: the delivery journal and dead letters; ``monitors.persist``:
the monitors).  ``sqlite``: each database opened one way."""
