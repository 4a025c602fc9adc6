import discord

client = discord.Client(intents=discord.Intents.default())

client.run('Mjg3NzM0Mzk3NjA2MjQyODU0.KcjJ_I.0ddiV4Ynp6HTToHurqZH54oICKPl77dXe4ty2t')
