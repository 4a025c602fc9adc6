db_password = "gr!dO^ga+=c3%Rv~FClP1%"
api_token   = "FwJFcCM7n4wXbDLUg6PrBdAEMm8s9dYQMWaoixuH"
