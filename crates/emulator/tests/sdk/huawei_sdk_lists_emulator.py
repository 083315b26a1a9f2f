#!/usr/bin/env python3
"""The official Huawei Cloud SWR Python SDK (PyPI `huaweicloudsdkswr`) lists the reginv emulator.

Run by crates/emulator/tests/huawei_sdk.rs (which starts the emulator and saves its fixture), in a
throwaway venv made by huawei_sdk_venv.sh:

    python huawei_sdk_lists_emulator.py --endpoint http://127.0.0.1:PORT --ak AK --sk SK \
        --fixture fixture.json

It checks, through the SDK's own signing, paging and models (no request is built by hand):
- every namespace, every repository (paged with limit/offset and Content-Range) and every tag
  (paged likewise) of the fixture is listed, exactly once, in fixture order for tags;
- every field of every model the SDK declares is in the JSON the emulator sent, and no field the
  vendor never sends empty is null (only a tag's `deleted` may be null);
- repository detail answers for names with `/` written as `$` and as `%2F` (the SDK's signer
  decodes the path before signing it);
- the legacy `filter=namespace::x|name::y|limit::n|offset::m` query of /v2/manage/repos;
- a query value with a space (sent as %20) verifies.
Exits 0 when everything holds, 1 with a list of failures otherwise.
"""

import argparse
import json
import re
import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkswr.v2 import (
    ListNamespacesRequest,
    ListReposDetailsRequest,
    ListRepositoryTagsRequest,
    ShowRepositoryRequest,
    SwrClient,
)
from huaweicloudsdkswr.v2.model import (
    ShowNamespace,
    ShowReposResp,
    ShowReposTagResp,
    ShowRepositoryResponse,
)

# Fields the vendor documents as possibly null.
NULLABLE = {"ShowReposTagResp": {"deleted"}}

FAILURES = []


def fail(message):
    FAILURES.append(message)
    print("FAIL: " + message, file=sys.stderr)


def check_model(model, raw, what):
    """Every declared field of `model` is a key of `raw` (the JSON object sent) and not null."""
    cls = type(model).__name__
    for attr, key in type(model).attribute_map.items():
        if key not in raw:
            fail(f"{what}: {cls}.{attr} (JSON key {key!r}) missing from the response")
            continue
        if getattr(model, attr) is None and attr not in NULLABLE.get(cls, set()):
            fail(f"{what}: {cls}.{attr} is null")


def parse_range(value):
    """(first, last, total) of `first-last/total`; (None, None, total) of `*/total`."""
    m = re.fullmatch(r"(?:(\d+)-(\d+)|\*)/(\d+)", value or "")
    if not m:
        raise ValueError(f"not a Content-Range: {value!r}")
    first, last, total = m.groups()
    return (int(first) if first else None, int(last) if last else None, int(total))


def all_pages(call, make_request, limit, what):
    """Pages a listing with limit/offset until Content-Range's total; returns (items, raw items)."""
    items, raws, offset, total = [], [], 0, None
    while True:
        response = call(make_request(limit, offset))
        page = response.body or []
        raw = json.loads(response.raw_content.decode("utf-8"))
        first, last, total = parse_range(response.content_range)
        if page:
            if (first, last) != (offset, offset + len(page) - 1):
                fail(f"{what}: Content-Range {response.content_range!r} at offset {offset}")
        items.extend(page)
        raws.extend(raw)
        offset += limit
        if not page or offset >= total:
            return items, raws, total


def dollar(name):
    return name.replace("/", "$")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--ak", required=True)
    parser.add_argument("--sk", required=True)
    parser.add_argument("--project-id", default="0123456789abcdef0123456789abcdef")
    parser.add_argument("--fixture", required=True)
    parser.add_argument("--repo-limit", type=int, default=25)
    parser.add_argument("--tag-limit", type=int, default=3)
    args = parser.parse_args()

    with open(args.fixture, encoding="utf-8") as f:
        fixture = json.load(f)["swr"]
    want_repos = {
        (ns["name"], repo["name"]): [t["name"] for t in repo.get("tags", [])]
        for ns in fixture["namespaces"]
        for repo in ns.get("repos", [])
    }

    client = (
        SwrClient.new_builder()
        .with_credentials(BasicCredentials(args.ak, args.sk, args.project_id))
        .with_endpoints([args.endpoint])
        .build()
    )

    # Namespaces.
    response = client.list_namespaces(ListNamespacesRequest())
    raw = json.loads(response.raw_content.decode("utf-8"))["namespaces"]
    names = [n.name for n in response.namespaces]
    if names != [ns["name"] for ns in fixture["namespaces"]]:
        fail(f"namespaces {names}")
    for model, item in zip(response.namespaces, raw):
        check_model(model, item, f"namespace {model.name}")

    # Repositories, paged.
    repos, raws, total = all_pages(
        client.list_repos_details,
        lambda limit, offset: ListReposDetailsRequest(limit=str(limit), offset=str(offset)),
        args.repo_limit,
        "repositories",
    )
    if total != len(want_repos):
        fail(f"repositories: total {total}, fixture has {len(want_repos)}")
    got = [(r.namespace, r.name) for r in repos]
    if len(set(got)) != len(got):
        fail("repositories: listed twice")
    if set(got) != set(want_repos):
        fail(f"repositories: {sorted(set(want_repos) ^ set(got))[:5]} differ")
    for model, item in zip(repos, raws):
        what = f"repository {model.namespace}/{model.name}"
        check_model(model, item, what)
        if model.tags != want_repos.get((model.namespace, model.name)):
            fail(f"{what}: tags {model.tags}")
        if model.internal_path == model.path:
            fail(f"{what}: internal_path equals path")

    # Detail and tags of every repository.
    slashes = 0
    tags_seen = 0
    for (ns, name), want_tags in want_repos.items():
        what = f"{ns}/{name}"
        detail = client.show_repository(ShowRepositoryRequest(namespace=ns, repository=dollar(name)))
        check_model(detail, json.loads(detail.raw_content.decode("utf-8")), f"detail {what}")
        if detail.name != name or detail.num_images != len(want_tags):
            fail(f"detail {what}: {detail.name} with {detail.num_images} tags")
        if "/" in name and slashes < 5:
            # As a user of the SDK may write it: the SDK sends `%2F` and signs a `/`.
            slashes += 1
            again = client.show_repository(ShowRepositoryRequest(namespace=ns, repository=name))
            if again.name != name:
                fail(f"detail {what} by %2F: {again.name}")
        tags, raws, total = all_pages(
            client.list_repository_tags,
            lambda limit, offset: ListRepositoryTagsRequest(
                namespace=ns, repository=dollar(name), limit=str(limit), offset=str(offset)
            ),
            args.tag_limit,
            f"tags of {what}",
        )
        if [t.tag for t in tags] != want_tags or total != len(want_tags):
            fail(f"tags of {what}: {[t.tag for t in tags]} (total {total}), want {want_tags}")
        for model, item in zip(tags, raws):
            check_model(model, item, f"tag {what}:{model.tag}")
            tags_seen += 1
    if any("/" in name for _, name in want_repos) and slashes == 0:
        fail("no repository name with '/' was asked by %2F")

    # The legacy filter query, and a value with a space (%20).
    ns0 = fixture["namespaces"][0]["name"]
    in_ns0 = sorted(name for ns, name in want_repos if ns0 in ns)
    response = client.list_repos_details(
        ListReposDetailsRequest(filter=f"namespace::{ns0}|limit::1000|offset::0")
    )
    if sorted(r.name for r in response.body) != in_ns0:
        fail(f"filter=namespace::{ns0}: {len(response.body)} repositories, want {len(in_ns0)}")
    if parse_range(response.content_range)[2] != len(in_ns0):
        fail(f"filter=namespace::{ns0}: Content-Range {response.content_range}")
    response = client.list_repos_details(ListReposDetailsRequest(name="no such name", limit="10", offset="0"))
    if response.body:
        fail("name=no such name matched something")

    print(
        f"huawei SDK listed {len(fixture['namespaces'])} namespaces, {len(repos)} repositories, "
        f"{tags_seen} tags; {len(FAILURES)} failures"
    )
    return 1 if FAILURES else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except exceptions.SdkException as e:
        print(f"FAIL: the SDK raised {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
