#!/usr/bin/env python3
"""Drives an Agora node with py-substrate-interface, a generic Substrate client nobody here wrote.

Everything below is built from the node's own metadata: calls are composed by pallet and call
name, storage is read by name, events and module errors are decoded by name. Nothing about Agora's
types is configured in the client. Exits non-zero on the first failed expectation.

    scripts/generic-client.sh                      # starts a throw-away dev node and runs this
    python scripts/generic-client.py ws://127.0.0.1:9944   # against a running dev node

Needs a fresh `--dev` chain (Alice, Charlie, Dave funded; blocks every second).
"""

import argparse
import sys
import time

from substrateinterface import Keypair, KeypairType, SubstrateInterface
from substrateinterface.exceptions import SubstrateRequestException

AGR = 10**9
TEMPO = 10
START = time.monotonic()


class Failed(Exception):
    pass


def log(msg=""):
    print(f"[{time.monotonic() - START:6.1f}s] {msg}", flush=True)


def check(ok, msg):
    if not ok:
        raise Failed(msg)


def agr(plancks):
    return f"{plancks / AGR:.6f} AGR"


# py-scale-codec (1.2.12, the newest) treats `BoundedVec` as a vector only under the scale-info
# paths it knows: `sp_core::bounded::…` and `frame_support::storage::…` (its core.json). Since
# 2023 FRAME's BoundedVec lives in the `bounded-collections` crate, whose path is not among them,
# so the library sees a tuple struct with one field: decoding still unwraps it, but encoding a
# list of more than one element fails ("Element count of value (2) doesn't match type_definition
# (1)"), e.g. `set_weights`' uids/values. The library's `type_registry` argument maps the new path
# to its own BoundedVec class, exactly as core.json does for the old ones.
BOUNDED_VEC_TYPES = {
    "types": {
        "bounded_collections::bounded_vec::BoundedVec": "BoundedVec",
        "bounded_collections::weak_bounded_vec::WeakBoundedVec": "BoundedVec",
    }
}


class Client:
    def __init__(self, url, plain=False):
        # Agora's runtime ships V14 metadata with its full type registry (scale-info), so no type
        # registry preset is needed: only the library's built-in "core" types are loaded, and
        # auto-discovery by chain name ("Development") finds none.
        self.s = SubstrateInterface(
            url=url,
            ss58_format=42,
            type_registry_preset=None,
            type_registry=None if plain else BOUNDED_VEC_TYPES,
            use_remote_preset=False,
        )
        self.s.init_runtime()

    def rpc(self, method, params):
        answer = self.s.rpc_request(method, params)
        check("result" in answer, f"{method}{params}: {answer}")
        return answer["result"]

    def best(self):
        return self.s.get_block_number(self.s.get_chain_head())

    def submit(self, module, function, params, signer, expect_error=None):
        """Composes `module.function(params)` by name, signs it, waits for inclusion."""
        call = self.s.compose_call(call_module=module, call_function=function, call_params=params)
        ext = self.s.create_signed_extrinsic(call=call, keypair=signer)
        receipt = self.s.submit_extrinsic(ext, wait_for_inclusion=True)
        where = f"#{self.s.get_block_number(receipt.block_hash)} ext {receipt.extrinsic_idx}"
        if expect_error is None:
            check(
                receipt.is_success,
                f"{module}.{function} by {signer.ss58_address} failed: {receipt.error_message}",
            )
            log(f"  {module}.{function}: ok in {where}, fee {agr(receipt.total_fee_amount)}")
        else:
            check(not receipt.is_success, f"{module}.{function} succeeded, expected {expect_error}")
            err = receipt.error_message or {}
            check(
                err.get("name") == expect_error,
                f"{module}.{function}: expected {expect_error}, got {err}",
            )
            log(f"  {module}.{function}: failed as expected in {where}: {err.get('type')} "
                f"error {err.get('name')} ({' '.join(err.get('docs') or [])})")
        return receipt

    def wait_for(self, what, timeout, probe, every=1.0):
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise Failed(f"timed out after {timeout}s waiting for {what}")
            time.sleep(every)


def events(receipt):
    """(module, event, attributes) of every event the extrinsic triggered, decoded by name."""
    return [
        (e.value["module_id"], e.value["event_id"], e.value["attributes"])
        for e in receipt.triggered_events
    ]


def find_event(receipt, module, name):
    found = [attrs for (m, n, attrs) in events(receipt) if (m, n) == (module, name)]
    check(found, f"no {module}.{name} event among {[(m, n) for (m, n, _) in events(receipt)]}")
    return found[0]


def section(title):
    print(flush=True)
    log(f"== {title}")


def run(url, plain):
    c = Client(url, plain)
    s = c.s

    # --- Runtime and metadata -------------------------------------------------------------
    section("runtime")
    version = c.rpc("state_getRuntimeVersion", [])
    log(f"connected to {url}: chain {s.chain!r}, {version['specName']} spec {version['specVersion']}"
        f" tx {version['transactionVersion']}, properties {s.properties}")
    check(version["specName"] == "agora", f"specName {version['specName']}")
    check(s.runtime_version == version["specVersion"], "library's runtime_version disagrees")
    check(s.properties.get("tokenSymbol") == "AGR" and s.properties.get("ss58Format") == 42,
          f"system properties {s.properties}")
    md_version = list(s.metadata.value_serialized[1].keys())[0]
    extrinsic = s.metadata.value_serialized[1][md_version]["extrinsic"]
    log(f"metadata {md_version}, extrinsic version {extrinsic['version']}, signed extensions: "
        + ", ".join(x["identifier"] for x in extrinsic["signed_extensions"]))
    pallets = [p.name for p in s.metadata.pallets]
    log(f"{len(pallets)} pallets: {', '.join(pallets)}")
    expected_calls = {
        "Subnets": {"create_subnet", "set_hyperparams", "register", "serve", "set_weights",
                    "commit_weights", "reveal_weights"},
        "Staking": {"add_stake", "remove_stake", "move_stake", "set_take"},
        "Rewards": set(),
    }
    for name, calls in expected_calls.items():
        check(name in pallets, f"pallet {name} missing from the metadata")
        pallet = s.metadata.get_metadata_pallet(name)
        have = {call.name for call in (pallet.calls or [])}
        check(calls <= have, f"{name}: calls {calls - have} missing (has {sorted(have)})")
        log(f"pallet {name} (index {pallet['index'].value}): "
            f"{len(have)} calls, {len(pallet.storage or [])} storage items, "
            f"{len(pallet.events or [])} events, {len(pallet.errors or [])} errors")
        for call in pallet.calls or []:
            log(f"    {name}.{call.name}{call.get_param_info()}")
        if not pallet.calls:
            log(f"    (no calls; storage: {', '.join(x.name for x in pallet.storage or [])}; "
                f"events: {', '.join(x.name for x in pallet.events or [])})")

    # --- Keys -----------------------------------------------------------------------------
    alice = Keypair.create_from_uri("//Alice", ss58_format=42)
    charlie = Keypair.create_from_uri("//Charlie", ss58_format=42)
    dave = Keypair.create_from_uri("//Dave", ss58_format=42)
    validator = Keypair.create_from_uri("//Agora//py-validator", ss58_format=42)
    miners = [Keypair.create_from_uri(f"//Agora//py-miner{i}", ss58_format=42) for i in (1, 2)]
    stranger = Keypair.create_from_uri("//Agora//py-miner3", ss58_format=42)

    # --- Subnet ---------------------------------------------------------------------------
    section("create_subnet")
    # agora_* answers carry plancks as exact decimal strings (docs/rpc.md).
    cost = int(c.rpc("agora_subnetCreationCost", []))
    log(f"creation cost {agr(cost)}")
    receipt = c.submit("Subnets", "create_subnet",
                       {"task": "TextGeneration", "max_cost": 2 * cost + AGR}, alice)
    for module, name, attrs in events(receipt):
        log(f"    event {module}.{name} {attrs}")
    created = find_event(receipt, "Subnets", "SubnetCreated")
    netuid = created["netuid"]
    check(created["owner"] == alice.ss58_address, f"owner {created['owner']}")
    check(any(x["netuid"] == netuid and x["owner"] == alice.ss58_address
              for x in c.rpc("agora_subnets", [])), f"subnet {netuid} missing from agora_subnets")
    log(f"netuid {netuid} (SubnetCreated event; also listed by agora_subnets)")

    section("set_hyperparams")
    current = s.query("Subnets", "Subnets", [netuid]).value
    check(current is not None and current["owner"] == alice.ss58_address,
          f"storage Subnets.Subnets({netuid}): {current}")
    current = current["hyperparams"]
    log(f"storage Subnets.Subnets({netuid}).hyperparams = {current}")
    fields = s.get_metadata_call_function("Subnets", "set_hyperparams").get_param_info()["hyperparams"]
    log(f"set_hyperparams' hyperparams fields (metadata): {list(fields)}")
    changes = {
        "tempo": TEMPO,
        "max_uids": 16,
        "immunity_period": 1000,
        "max_allowed_weights": 16,
        "weights_rate_limit": 0,
        "activity_cutoff": 1000,
        "max_validators": 4,
        "min_validator_stake": AGR,
    }
    check(set(changes) <= set(fields), f"unknown fields {set(changes) - set(fields)}")
    check(set(fields) <= set(current), f"storage lacks fields {set(fields) - set(current)}")
    hyperparams = {f: changes.get(f, current[f]) for f in fields}
    inner = s.compose_call(call_module="Subnets", call_function="set_hyperparams",
                           call_params={"netuid": netuid, "hyperparams": hyperparams})
    # Tempo and the other consensus hyperparameters are root's: Alice is the dev chain's sudo key.
    receipt = c.submit("Sudo", "sudo", {"call": inner}, alice)
    event = find_event(receipt, "Subnets", "HyperparamsSet")
    check(event["hyperparams"] == hyperparams, f"HyperparamsSet carries {event['hyperparams']}")
    rpc_hp = c.rpc("agora_subnet", [netuid])["hyperparams"]
    check(rpc_hp["tempo"] == TEMPO and rpc_hp["weights_rate_limit"] == 0
          and rpc_hp["min_validator_stake"] == str(AGR)
          and rpc_hp["task"] == "text-generation", f"agora_subnet hyperparams {rpc_hp}")
    log(f"agora_subnet({netuid}).hyperparams now {rpc_hp}")

    # --- Neurons --------------------------------------------------------------------------
    section("register a validator and two miners")
    for cold, hot, role in [(charlie, validator, "validator")] + [(dave, m, "miner") for m in miners]:
        price = int(c.rpc("agora_registrationCost", [netuid]))
        receipt = c.submit("Subnets", "register",
                           {"netuid": netuid, "hotkey": hot.ss58_address, "max_cost": 2 * price},
                           cold)
        reg = find_event(receipt, "Subnets", "NeuronRegistered")
        check(reg["hotkey"] == hot.ss58_address and reg["coldkey"] == cold.ss58_address,
              f"NeuronRegistered {reg}")
        log(f"    {role} {hot.ss58_address} -> uid {reg['uid']}, burned {agr(reg['cost'])}"
            f" (quoted {agr(price)})")
    n = s.query("Subnets", "SubnetN", [netuid]).value
    check(n == 3, f"Subnets.SubnetN({netuid}) = {n}, expected 3")
    log(f"storage Subnets.SubnetN({netuid}) = {n}")
    uid_of = {}
    for hot in [validator] + miners:
        uid_of[hot.ss58_address] = s.query("Subnets", "Uids", [netuid, hot.ss58_address]).value
    check(uid_of[validator.ss58_address] == 0, f"validator uid {uid_of}")
    log(f"storage Subnets.Uids: {uid_of}")

    section("a bad call: register with max_cost 1")
    c.submit("Subnets", "register",
             {"netuid": netuid, "hotkey": stranger.ss58_address, "max_cost": 1}, dave,
             expect_error="CostAboveMaxCost")
    check(s.query("Subnets", "SubnetN", [netuid]).value == 3, "the failed register added a neuron")

    # --- Stake, fees, permit --------------------------------------------------------------
    section("serve: miner 1 publishes its endpoint (nested BoundedVecs)")
    c.submit("Balances", "transfer_keep_alive",
             {"dest": miners[0].ss58_address, "value": 10 * AGR}, alice)
    # The PeerId of a libp2p ed25519 key (identity multihash of its protobuf encoding), and the
    # key's proof that this hotkey publishes it: an ed25519 signature of
    # "agora/serve/1" ‖ genesis hash ‖ netuid (u16 LE) ‖ hotkey.
    p2p = Keypair.create_from_seed("0x" + "07" * 32, crypto_type=KeypairType.ED25519)
    peer_id = "0x002408011220" + p2p.public_key.hex()
    genesis = bytes.fromhex(s.get_block_hash(0)[2:])
    payload = (b"agora/serve/1" + genesis + netuid.to_bytes(2, "little")
               + miners[0].public_key)
    proof = "0x" + p2p.sign(payload).hex()
    addrs = ["/ip4/127.0.0.1/tcp/4001"]
    receipt = c.submit("Subnets", "serve",
                       {"netuid": netuid, "peer_id": peer_id, "addrs": addrs, "proof": proof},
                       miners[0])
    log(f"    NeuronServed {find_event(receipt, 'Subnets', 'NeuronServed')}")
    endpoint = c.rpc("agora_neuron", [netuid, uid_of[miners[0].ss58_address]])["endpoint"]
    check(endpoint and endpoint["addrs"] == addrs, f"agora_neuron endpoint {endpoint}")
    log(f"agora_neuron endpoint of miner 1: {endpoint}")

    section("stake on the validator, pay its fees, wait for its permit")
    stake = 1000 * AGR
    receipt = c.submit("Staking", "add_stake",
                       {"hotkey": validator.ss58_address, "amount": stake}, charlie)
    added = find_event(receipt, "Staking", "StakeAdded")
    log(f"    StakeAdded {added}")
    pool = s.query("Staking", "Pools", [validator.ss58_address]).value
    check(pool["stake"] >= stake, f"Staking.Pools({validator.ss58_address}) = {pool}")
    log(f"storage Staking.Pools({validator.ss58_address}) = {pool}")
    c.submit("Balances", "transfer_keep_alive",
             {"dest": validator.ss58_address, "value": 10 * AGR}, alice)
    account = s.query("System", "Account", [validator.ss58_address]).value
    check(account["data"]["free"] == 10 * AGR, f"validator hotkey account {account}")
    log(f"validator hotkey free balance {agr(account['data']['free'])}")
    t0 = time.monotonic()
    c.wait_for("the validator's permit", 6 * TEMPO,
               lambda: c.rpc("agora_neuron", [netuid, 0])["validator_permit"])
    log(f"validator permit after {time.monotonic() - t0:.1f}s (block #{c.best()})")

    # --- Weights and epochs ---------------------------------------------------------------
    section("set_weights from the validator hotkey: 0.7 / 0.3")
    uids = [uid_of[m.ss58_address] for m in miners]
    values = [45_874, 19_661]
    receipt = c.submit("Subnets", "set_weights",
                       {"netuid": netuid, "uids": uids, "values": values, "version_key": 0},
                       validator)
    log(f"    WeightsSet {find_event(receipt, 'Subnets', 'WeightsSet')}")
    stored = s.query("Subnets", "Weights", [netuid, 0]).value
    check([tuple(x) for x in stored] == list(zip(uids, values)), f"Subnets.Weights = {stored}")
    log(f"storage Subnets.Weights({netuid}, 0) = {stored}")

    def incentives():
        neurons = c.rpc("agora_metagraph", [netuid])["neurons"]
        return neurons if len(neurons) == 3 and all(x["incentive"] > 0 for x in neurons[1:]) else None

    t0 = time.monotonic()
    c.wait_for("incentive paid to the miners", 6 * TEMPO, incentives)
    first_epoch = s.query("Rewards", "LastEpoch", [netuid]).value
    # One more epoch, so the numbers printed are a steady state, not the first epoch's.
    c.wait_for("the next epoch", 3 * TEMPO,
               lambda: s.query("Rewards", "LastEpoch", [netuid]).value != first_epoch)
    metagraph = c.rpc("agora_metagraph", [netuid])
    log(f"incentives after {time.monotonic() - t0:.1f}s; metagraph at block #{metagraph['block']},"
        f" last epoch #{metagraph['subnet']['last_epoch']}:")
    for x in metagraph["neurons"]:
        log(f"    uid {x['uid']} {x['hotkey'][:10]}… permit {x['validator_permit']!s:5} "
            f"stake {agr(int(x['stake'])):>20} incentive {x['incentive']:.4f} "
            f"dividends {x['dividends']:.4f} emission {agr(int(x['emission']))}")
    v, m1, m2 = metagraph["neurons"]
    check(v["validator_permit"] and v["dividends"] > 0, f"validator: {v}")
    check(m1["incentive"] > m2["incentive"] > 0, "incentives not ordered like the weights")
    check(abs(m1["incentive"] - 0.7) < 0.02, f"miner 1 incentive {m1['incentive']}, expected ~0.7")
    check(int(m1["emission"]) > int(m2["emission"]) > 0, "emission not by incentive")

    section("done")
    log(f"all checks passed; final block #{c.best()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:9944")
    parser.add_argument("--plain", action="store_true",
                        help="connect without the BoundedVec type_registry mapping (to see the "
                             "library fail on set_weights without it)")
    args = parser.parse_args()
    try:
        run(args.url, args.plain)
    except (Failed, SubstrateRequestException, ValueError) as e:
        log(f"FAILED: {type(e).__name__}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
