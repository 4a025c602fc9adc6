INSERT INTO tenants (id, name) VALUES
('8afdc7ca-e2a3-7a26-e111-0c3f6c715bfc', 'tenant 0'),
('04a21b84-0ec6-cf3a-dd26-28d1211aa4a1', 'tenant 1'),
('b3852020-76d2-fe82-b1bd-ce14050fe08e', 'tenant 2'),
('959e8fc0-7c9e-22c5-3a75-491bbfc6ca96', 'tenant 3'),
('1eef87a2-5031-09e4-590f-bb0d47f36c41', 'tenant 4'),
('c4c07d62-4fcd-4710-1d2e-cdfdf8869e1a', 'tenant 5'),
('7f4c0454-9928-eed9-83ad-26208d7db43b', 'tenant 6'),
('ae1a74af-550c-af73-715d-a6639b921154', 'tenant 7');
