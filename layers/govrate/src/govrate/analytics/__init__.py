"""Analytics: the fact tables exported to Parquet, the SQL of every rate and ranking, the results served."""
