"""The viewer's app: MLflow's own (its security middleware included) behind
``CrossSiteGuard``. Served by ``engine.tracking._server_process`` (``netyard-viewer``), which
sets MLflow's server environment before importing it; registered in pyproject.toml under
MLflow's ``mlflow.app`` entry points too (``mlflow server --app-name netyard-viewer``).
Imported only inside the server process."""

from mlflow.server.fastapi_app import app as mlflow_app

from engine.tracking._cross_site import CrossSiteGuard

app = CrossSiteGuard(mlflow_app)
