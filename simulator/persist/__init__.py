"""What ``--data-dir`` keeps on disk, shared by the packages that keep something there
(``delivery.persist``: pending deliveries, the delivery journal and dead letters;
``monitors.persist``: the monitors; ``callbacks.persist``: the callbacks).  ``sqlite``:
each database opened one way, and the table of JSON records by id."""
