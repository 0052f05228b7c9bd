"""Running Rapport elsewhere than `make run`: the standalone cluster demo and an Airflow DAG."""
