"""Fixtures for the analysis tests: the SIPAS example data, its design and structure."""
import pandas as pd
import pytest
import reference_cases as rc

from analysis import SurveyDesign, sipas


@pytest.fixture(scope="session")
def sipas_frame() -> pd.DataFrame:
    """The 5,000 synthetic responses of the reference folder."""
    return pd.read_csv(rc.REFERENCE / "sipas-example.csv")


@pytest.fixture(scope="session")
def structure() -> sipas.Structure:
    """The 22-criterion structure from criteria.csv (equal element weights)."""
    return sipas.Structure.from_criteria_csv(rc.CRITERIA)


@pytest.fixture(scope="session")
def sipas_design(sipas_frame) -> SurveyDesign:
    """Strata agency, clusters counter, weights weight."""
    return SurveyDesign(sipas_frame, weights="weight", strata="agency", clusters="counter")


@pytest.fixture
def example_csv(tmp_path, sipas_frame):
    """Write a (possibly modified) copy of the example data; returns its path."""
    def write(frame=None, name="responses.csv"):
        path = tmp_path / name
        (sipas_frame if frame is None else frame).to_csv(path, index=False)
        return str(path)
    return write
