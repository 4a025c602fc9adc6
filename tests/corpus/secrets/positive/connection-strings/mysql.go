package db

const dsn = "mysql://report:g_ozo5Tt2~I9-~gL4x4@tcp(10.1.1.5:3306)/reports"
