<?php
define( 'DB_PASSWORD', 'IalYkSd58.I4' );
