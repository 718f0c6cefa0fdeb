"""The app ``mlflow server --app-name netyard-viewer`` serves: MLflow's own (its security
middleware included) behind ``CrossSiteGuard``. Registered in pyproject.toml under MLflow's
``mlflow.app`` entry points; imported only inside the server process."""

from mlflow.server.fastapi_app import app as mlflow_app

from engine.tracking._cross_site import CrossSiteGuard

app = CrossSiteGuard(mlflow_app)
