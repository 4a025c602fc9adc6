INSERT INTO tenants (id, name) VALUES
('047fb871-600b-5b45-8dee-67f0939aa87f', 'tenant 0'),
('0ab9d1c9-629e-449c-6589-5ba6ff01efa9', 'tenant 1'),
('c94271b5-061c-a047-26b2-e95ea2c3cdb8', 'tenant 2'),
('3fe40e94-cc76-50e0-43b6-c851a1df8010', 'tenant 3'),
('3481c979-fb3d-e57b-79d2-f0e61900691d', 'tenant 4'),
('c3c115dd-0299-426d-d2d7-e0582f61e8a5', 'tenant 5'),
('d3ffe077-ae0b-f203-91ea-71adfe11412e', 'tenant 6'),
('e2d0449d-6109-3aa3-f554-a041c02023c0', 'tenant 7');
