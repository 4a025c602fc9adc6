engine = create_engine("mssql+pyodbc://sa:pQOHP048s8NJyAg@sqlserver:1433/db?driver=ODBC+Driver+18")
