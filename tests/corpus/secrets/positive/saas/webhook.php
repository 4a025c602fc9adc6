<?php
$endpoint_secret = 'whsec_EBuAZWZTCsHPyy2tUPlkUrf7ukYjwgVD';
$payload = @file_get_contents('php://input');
