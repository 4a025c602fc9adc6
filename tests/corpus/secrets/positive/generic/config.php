<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'deGPkBiaGqp7kho*G');
$table_prefix = 'wp_';
