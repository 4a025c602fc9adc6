INSERT INTO tenants (id, name) VALUES
('3236c94f-4062-be95-100c-5d95dd132246', 'tenant 0'),
('2ada16ab-c439-f0bf-2667-79ef221e41bb', 'tenant 1'),
('8188d6fd-50af-f761-0626-c385521bbb01', 'tenant 2'),
('36154d75-8440-d3d8-6785-2aa876a19549', 'tenant 3'),
('1a889909-e71c-ea16-a47d-65eca8e5dcd0', 'tenant 4'),
('4225c4e5-b606-2141-b0d2-f06cecd140c4', 'tenant 5'),
('84d19245-61ab-fe40-af93-c2fd531d6b04', 'tenant 6'),
('2e625f68-5d89-8600-cea4-e91650662c74', 'tenant 7');
