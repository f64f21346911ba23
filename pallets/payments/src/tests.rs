//! Unit tests: every call's success and error paths, and the attacks a channel must withstand
//! (over-claiming, replayed vouchers, vouchers of another channel, chain or signer, third
//! parties, closing early).

use crate::{
	mock::*, voucher_payload, Channel, ChannelCount, ChannelId, Channels, Error, Event,
	NextChannelId, VOUCHER_CONTEXT,
};
use frame::testing_prelude::*;
use polkadot_sdk::{polkadot_sdk_frame as frame, sp_runtime::testing::TestSignature};

/// The consumer of the channels the tests open.
const CONSUMER: u64 = 1;
/// Their provider.
const PROVIDER: u64 = 10;
/// A third party, funded.
const STRANGER: u64 = 3;
/// Their expiry.
const EXPIRY: u64 = 10;

fn free(who: u64) -> u128 {
	Balances::free_balance(who)
}

/// `signer`'s voucher for the cumulative `amount` on channel `id` of this chain.
fn voucher(signer: u64, id: ChannelId, amount: u128) -> TestSignature {
	TestSignature(signer, voucher_payload(&Payments::genesis_hash(), id, amount))
}

/// `CONSUMER` opens a channel to `PROVIDER` with `deposit`, expiring at `EXPIRY`.
fn open_channel(deposit: u128) -> ChannelId {
	let id = NextChannelId::<Test>::get();
	assert_ok!(Payments::open(RuntimeOrigin::signed(CONSUMER), PROVIDER, deposit, EXPIRY));
	id
}

/// `PROVIDER` claims `CONSUMER`'s voucher for `amount` on channel `id`.
fn claim(id: ChannelId, amount: u128) -> DispatchResult {
	Payments::claim(RuntimeOrigin::signed(PROVIDER), id, amount, voucher(CONSUMER, id, amount))
}

#[test]
fn open_moves_the_deposit_into_the_pallet_account() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_eq!(id, 0);
		System::assert_last_event(
			Event::ChannelOpened {
				id,
				consumer: CONSUMER,
				provider: PROVIDER,
				deposit: 1_000,
				expires_at: EXPIRY,
			}
			.into(),
		);
		assert_eq!(
			Channels::<Test>::get(id),
			Some(Channel {
				consumer: CONSUMER,
				provider: PROVIDER,
				deposit: 1_000,
				claimed: 0,
				expires_at: EXPIRY
			})
		);
		assert_eq!(free(CONSUMER), 999_000);
		assert_eq!(free(Payments::account_id()), 1_000 + 5);
		assert_eq!(ChannelCount::<Test>::get(CONSUMER), 1);
		assert_eq!(NextChannelId::<Test>::get(), 1);
		// A second one gets the next id.
		assert_eq!(open_channel(100), 1);
		assert_eq!(ChannelCount::<Test>::get(CONSUMER), 2);
	});
}

#[test]
fn open_errors() {
	build_and_execute(|| {
		let open = |who: u64, provider: u64, deposit: u128, expires_at: u64| {
			Payments::open(RuntimeOrigin::signed(who), provider, deposit, expires_at)
		};
		assert_noop!(open(CONSUMER, CONSUMER, 1_000, EXPIRY), Error::<Test>::ProviderIsConsumer);
		assert_noop!(open(CONSUMER, PROVIDER, 99, EXPIRY), Error::<Test>::DepositBelowMinimum);
		// Block 1 now: the expiry must be a later block.
		assert_noop!(open(CONSUMER, PROVIDER, 1_000, 1), Error::<Test>::ExpiryNotInFuture);
		assert_noop!(open(CONSUMER, PROVIDER, 1_000, 0), Error::<Test>::ExpiryNotInFuture);
		// All of it would reap the consumer: the existential deposit must stay.
		assert_noop!(
			open(CONSUMER, PROVIDER, 1_000_000, EXPIRY),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(open(7, PROVIDER, 1_000, EXPIRY), Error::<Test>::InsufficientBalance);
		assert_noop!(Payments::open(RuntimeOrigin::none(), PROVIDER, 1_000, EXPIRY), BadOrigin);
		for _ in 0..3 {
			open_channel(100);
		}
		assert_noop!(open(CONSUMER, 11, 100, EXPIRY), Error::<Test>::TooManyChannels);
		// The bound is per consumer.
		assert_ok!(open(2, PROVIDER, 100, EXPIRY));
		NextChannelId::<Test>::put(u64::MAX);
		assert_noop!(open(2, PROVIDER, 100, EXPIRY), Error::<Test>::ChannelIdsExhausted);
	});
}

#[test]
fn top_up_adds_to_the_deposit() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_ok!(Payments::top_up(RuntimeOrigin::signed(CONSUMER), id, 500));
		System::assert_last_event(
			Event::ChannelToppedUp { id, amount: 500, deposit: 1_500 }.into(),
		);
		assert_eq!(Channels::<Test>::get(id).map(|c| c.deposit), Some(1_500));
		assert_eq!(free(CONSUMER), 998_500);
		// Even after the expiry, while the channel is open.
		System::set_block_number(EXPIRY + 5);
		assert_ok!(Payments::top_up(RuntimeOrigin::signed(CONSUMER), id, 1));
		assert_eq!(Channels::<Test>::get(id).map(|c| c.deposit), Some(1_501));
	});
}

#[test]
fn top_up_errors() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_noop!(
			Payments::top_up(RuntimeOrigin::signed(CONSUMER), id, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Payments::top_up(RuntimeOrigin::signed(CONSUMER), 7, 500),
			Error::<Test>::ChannelNotFound
		);
		assert_noop!(
			Payments::top_up(RuntimeOrigin::signed(PROVIDER), id, 500),
			Error::<Test>::NotConsumer
		);
		assert_noop!(
			Payments::top_up(RuntimeOrigin::signed(CONSUMER), id, 999_000),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(Payments::top_up(RuntimeOrigin::none(), id, 500), BadOrigin);
	});
}

#[test]
fn extend_moves_the_expiry_later() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_ok!(Payments::extend(RuntimeOrigin::signed(CONSUMER), id, 20));
		System::assert_last_event(Event::ChannelExtended { id, expires_at: 20 }.into());
		assert_eq!(Channels::<Test>::get(id).map(|c| c.expires_at), Some(20));
		// An expired channel may be revived with a later expiry.
		System::set_block_number(25);
		assert_ok!(Payments::extend(RuntimeOrigin::signed(CONSUMER), id, 30));
		assert_noop!(
			Payments::close(RuntimeOrigin::signed(CONSUMER), id),
			Error::<Test>::NotExpired
		);
	});
}

#[test]
fn extend_errors() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_noop!(
			Payments::extend(RuntimeOrigin::signed(CONSUMER), 7, 20),
			Error::<Test>::ChannelNotFound
		);
		assert_noop!(
			Payments::extend(RuntimeOrigin::signed(PROVIDER), id, 20),
			Error::<Test>::NotConsumer
		);
		assert_noop!(
			Payments::extend(RuntimeOrigin::signed(CONSUMER), id, EXPIRY),
			Error::<Test>::ExpiryNotExtended
		);
		assert_noop!(
			Payments::extend(RuntimeOrigin::signed(CONSUMER), id, EXPIRY - 1),
			Error::<Test>::ExpiryNotExtended
		);
		// Later than the old expiry, but already past.
		System::set_block_number(20);
		assert_noop!(
			Payments::extend(RuntimeOrigin::signed(CONSUMER), id, 15),
			Error::<Test>::ExpiryNotInFuture
		);
		assert_noop!(
			Payments::extend(RuntimeOrigin::signed(CONSUMER), id, 20),
			Error::<Test>::ExpiryNotInFuture
		);
		assert_noop!(Payments::extend(RuntimeOrigin::none(), id, 30), BadOrigin);
	});
}

#[test]
fn claim_pays_the_difference_since_the_last_claim() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_ok!(claim(id, 300));
		System::assert_last_event(
			Event::Claimed { id, provider: PROVIDER, amount: 300, total: 300 }.into(),
		);
		assert_eq!(free(PROVIDER), 300);
		assert_ok!(claim(id, 750));
		System::assert_last_event(
			Event::Claimed { id, provider: PROVIDER, amount: 450, total: 750 }.into(),
		);
		assert_eq!(free(PROVIDER), 750);
		assert_eq!(Channels::<Test>::get(id).map(|c| c.claimed), Some(750));
		assert_eq!(free(Payments::account_id()), 250 + 5);
		// The whole deposit.
		assert_ok!(claim(id, 1_000));
		assert_eq!(free(PROVIDER), 1_000);
		assert_eq!(free(CONSUMER), 999_000);
	});
}

#[test]
fn claim_errors() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_noop!(claim(7, 300), Error::<Test>::ChannelNotFound);
		assert_noop!(
			Payments::claim(RuntimeOrigin::signed(CONSUMER), id, 300, voucher(CONSUMER, id, 300)),
			Error::<Test>::NotProvider
		);
		assert_noop!(claim(id, 0), Error::<Test>::StaleVoucher);
		assert_noop!(claim(id, 1_001), Error::<Test>::AmountExceedsDeposit);
		assert_noop!(
			Payments::claim(RuntimeOrigin::signed(PROVIDER), id, 300, voucher(CONSUMER, id, 299)),
			Error::<Test>::InvalidSignature
		);
		assert_noop!(
			Payments::claim(RuntimeOrigin::none(), id, 300, voucher(CONSUMER, id, 300)),
			BadOrigin
		);
	});
}

#[test]
fn close_refunds_what_was_not_claimed() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		open_channel(100);
		assert_ok!(claim(id, 300));
		System::set_block_number(EXPIRY);
		assert_ok!(Payments::close(RuntimeOrigin::signed(CONSUMER), id));
		System::assert_last_event(
			Event::ChannelClosed { id, consumer: CONSUMER, refunded: 700 }.into(),
		);
		assert_eq!(Channels::<Test>::get(id), None);
		assert_eq!(ChannelCount::<Test>::get(CONSUMER), 1);
		assert_eq!(free(CONSUMER), 1_000_000 - 100 - 300);
		assert_eq!(free(PROVIDER), 300);
		// The last channel: the count goes away.
		assert_ok!(Payments::close(RuntimeOrigin::signed(CONSUMER), id + 1));
		assert!(!ChannelCount::<Test>::contains_key(CONSUMER));
		assert_eq!(free(CONSUMER), 1_000_000 - 300);
	});
}

#[test]
fn close_of_a_fully_claimed_channel_refunds_nothing() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_ok!(claim(id, 1_000));
		System::set_block_number(EXPIRY);
		assert_ok!(Payments::close(RuntimeOrigin::signed(CONSUMER), id));
		System::assert_last_event(
			Event::ChannelClosed { id, consumer: CONSUMER, refunded: 0 }.into(),
		);
		assert_eq!(free(CONSUMER), 999_000);
		assert_eq!(free(PROVIDER), 1_000);
	});
}

#[test]
fn close_errors() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_noop!(
			Payments::close(RuntimeOrigin::signed(CONSUMER), 7),
			Error::<Test>::ChannelNotFound
		);
		assert_noop!(
			Payments::close(RuntimeOrigin::signed(CONSUMER), id),
			Error::<Test>::NotExpired
		);
		System::set_block_number(EXPIRY);
		assert_noop!(
			Payments::close(RuntimeOrigin::signed(PROVIDER), id),
			Error::<Test>::NotConsumer
		);
		assert_noop!(Payments::close(RuntimeOrigin::none(), id), BadOrigin);
	});
}

#[test]
fn a_claim_below_the_existential_deposit_waits_for_a_larger_voucher() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		// The provider's account does not exist yet and 4 is below the existential deposit (5).
		assert_noop!(claim(id, 4), TokenError::BelowMinimum);
		assert_ok!(claim(id, 5));
		assert_eq!(free(PROVIDER), 5);
		// Once it exists, any amount.
		assert_ok!(claim(id, 6));
		assert_eq!(free(PROVIDER), 6);
	});
}

#[test]
fn the_provider_cannot_claim_more_than_the_deposit() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		// Even with the consumer's signature on it.
		assert_noop!(claim(id, 1_001), Error::<Test>::AmountExceedsDeposit);
		assert_noop!(claim(id, u128::MAX), Error::<Test>::AmountExceedsDeposit);
		assert_ok!(claim(id, 1_000));
		assert_noop!(claim(id, 1_001), Error::<Test>::AmountExceedsDeposit);
		assert_noop!(claim(id, 1_000), Error::<Test>::StaleVoucher);
		assert_eq!(free(PROVIDER), 1_000);
		// Other channels' deposits are out of reach: channel 1 holds 500 more in the same account.
		let other = open_channel(500);
		assert_noop!(claim(id, 1_500), Error::<Test>::AmountExceedsDeposit);
		assert_eq!(free(Payments::account_id()), 500 + 5);
		assert_ok!(claim(other, 500));
	});
}

#[test]
fn an_old_voucher_cannot_be_replayed() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		let old = voucher(CONSUMER, id, 300);
		assert_ok!(Payments::claim(RuntimeOrigin::signed(PROVIDER), id, 300, old.clone()));
		assert_noop!(
			Payments::claim(RuntimeOrigin::signed(PROVIDER), id, 300, old),
			Error::<Test>::StaleVoucher
		);
		assert_ok!(claim(id, 500));
		// A smaller voucher signed earlier is worth nothing more either.
		assert_noop!(claim(id, 400), Error::<Test>::StaleVoucher);
		assert_eq!(free(PROVIDER), 500);
	});
}

#[test]
fn a_voucher_of_another_channel_is_refused() {
	build_and_execute(|| {
		let first = open_channel(1_000);
		let second = open_channel(1_000);
		assert_noop!(
			Payments::claim(
				RuntimeOrigin::signed(PROVIDER),
				second,
				300,
				voucher(CONSUMER, first, 300)
			),
			Error::<Test>::InvalidSignature
		);
		// A channel of another consumer to the same provider.
		assert_ok!(Payments::open(RuntimeOrigin::signed(2), PROVIDER, 1_000, EXPIRY));
		assert_noop!(
			Payments::claim(RuntimeOrigin::signed(PROVIDER), 2, 300, voucher(CONSUMER, first, 300)),
			Error::<Test>::InvalidSignature
		);
	});
}

#[test]
fn a_voucher_of_another_chain_is_refused() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		let other_chain = TestSignature(CONSUMER, voucher_payload(&[1u8; 32], id, 300));
		assert_noop!(
			Payments::claim(RuntimeOrigin::signed(PROVIDER), id, 300, other_chain),
			Error::<Test>::InvalidSignature
		);
	});
}

#[test]
fn a_voucher_signed_by_someone_else_is_refused() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		for signer in [PROVIDER, STRANGER] {
			assert_noop!(
				Payments::claim(RuntimeOrigin::signed(PROVIDER), id, 300, voucher(signer, id, 300)),
				Error::<Test>::InvalidSignature
			);
		}
	});
}

#[test]
fn the_consumer_cannot_close_before_the_expiry() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		System::set_block_number(EXPIRY - 1);
		assert_noop!(
			Payments::close(RuntimeOrigin::signed(CONSUMER), id),
			Error::<Test>::NotExpired
		);
		// Nor run away with its own deposit by a voucher to itself.
		assert_noop!(
			Payments::claim(
				RuntimeOrigin::signed(CONSUMER),
				id,
				1_000,
				voucher(CONSUMER, id, 1_000)
			),
			Error::<Test>::NotProvider
		);
		System::set_block_number(EXPIRY);
		assert_ok!(Payments::close(RuntimeOrigin::signed(CONSUMER), id));
	});
}

#[test]
fn third_parties_cannot_touch_a_channel() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		let stranger = RuntimeOrigin::signed(STRANGER);
		assert_noop!(Payments::top_up(stranger.clone(), id, 500), Error::<Test>::NotConsumer);
		assert_noop!(Payments::extend(stranger.clone(), id, 20), Error::<Test>::NotConsumer);
		// Even with a valid voucher in hand (seen on the wire).
		assert_noop!(
			Payments::claim(stranger.clone(), id, 300, voucher(CONSUMER, id, 300)),
			Error::<Test>::NotProvider
		);
		System::set_block_number(EXPIRY);
		assert_noop!(Payments::close(stranger.clone(), id), Error::<Test>::NotConsumer);
		// Nor may the provider close the channel or extend it.
		assert_noop!(
			Payments::close(RuntimeOrigin::signed(PROVIDER), id),
			Error::<Test>::NotConsumer
		);
		assert_noop!(
			Payments::extend(RuntimeOrigin::signed(PROVIDER), id, 20),
			Error::<Test>::NotConsumer
		);
	});
}

#[test]
fn claims_after_a_top_up_pay_exactly_the_difference() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		assert_ok!(claim(id, 1_000));
		assert_ok!(Payments::top_up(RuntimeOrigin::signed(CONSUMER), id, 500));
		assert_noop!(claim(id, 1_501), Error::<Test>::AmountExceedsDeposit);
		assert_ok!(claim(id, 1_300));
		System::assert_last_event(
			Event::Claimed { id, provider: PROVIDER, amount: 300, total: 1_300 }.into(),
		);
		assert_eq!(free(PROVIDER), 1_300);
		assert_ok!(claim(id, 1_500));
		assert_eq!(free(PROVIDER), 1_500);
		assert_eq!(free(CONSUMER), 1_000_000 - 1_500);
		System::set_block_number(EXPIRY);
		assert_ok!(Payments::close(RuntimeOrigin::signed(CONSUMER), id));
		assert_eq!(free(CONSUMER), 1_000_000 - 1_500);
	});
}

#[test]
fn the_provider_may_claim_after_the_expiry_until_closed() {
	build_and_execute(|| {
		let id = open_channel(1_000);
		System::set_block_number(EXPIRY + 100);
		assert_ok!(claim(id, 400));
		assert_ok!(Payments::close(RuntimeOrigin::signed(CONSUMER), id));
		assert_eq!(free(CONSUMER), 1_000_000 - 400);
		// Once closed, the remaining vouchers are worthless.
		assert_noop!(claim(id, 600), Error::<Test>::ChannelNotFound);
	});
}

#[test]
fn closing_frees_a_slot_but_not_the_id() {
	build_and_execute(|| {
		for _ in 0..3 {
			open_channel(100);
		}
		System::set_block_number(EXPIRY);
		assert_ok!(Payments::close(RuntimeOrigin::signed(CONSUMER), 1));
		assert_ok!(Payments::open(RuntimeOrigin::signed(CONSUMER), PROVIDER, 100, EXPIRY + 1));
		System::assert_last_event(
			Event::ChannelOpened {
				id: 3,
				consumer: CONSUMER,
				provider: PROVIDER,
				deposit: 100,
				expires_at: EXPIRY + 1,
			}
			.into(),
		);
		// A voucher of the closed channel does not pay on the new one.
		assert_noop!(
			Payments::claim(RuntimeOrigin::signed(PROVIDER), 3, 100, voucher(CONSUMER, 1, 100)),
			Error::<Test>::InvalidSignature
		);
	});
}

#[test]
fn voucher_payload_layout() {
	build_and_execute(|| {
		let genesis = Payments::genesis_hash();
		assert_eq!(genesis, [69u8; 32], "the mock's genesis hash is frame_system's hash69");
		let payload = voucher_payload(&genesis, 0x0102, 0x0304);
		assert_eq!(payload.len(), 15 + 32 + 8 + 16);
		assert_eq!(&payload[..15], VOUCHER_CONTEXT);
		assert_eq!(&payload[..15], b"agora/voucher/1");
		assert_eq!(&payload[15..47], &genesis);
		assert_eq!(&payload[47..55], &[2, 1, 0, 0, 0, 0, 0, 0]);
		assert_eq!(&payload[55..57], &[4, 3]);
		assert!(payload[57..].iter().all(|b| *b == 0));
		assert_eq!(Payments::voucher_payload_for(0x0102, 0x0304), payload);
	});
}

#[test]
fn try_state_catches_broken_invariants() {
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		let id = open_channel(1_000);
		assert_ok!(Payments::do_try_state());
		let channel = Channels::<Test>::get(id).unwrap();

		Channels::<Test>::insert(id, Channel { claimed: 1_001, ..channel.clone() });
		assert!(Payments::do_try_state().is_err(), "claimed beyond the deposit");

		Channels::<Test>::insert(id, Channel { deposit: 1_001, ..channel.clone() });
		assert!(Payments::do_try_state().is_err(), "more owed than held");

		Channels::<Test>::insert(id, channel.clone());
		ChannelCount::<Test>::insert(CONSUMER, 2);
		assert!(Payments::do_try_state().is_err(), "count differs");

		ChannelCount::<Test>::remove(CONSUMER);
		assert!(Payments::do_try_state().is_err(), "count missing");

		ChannelCount::<Test>::insert(CONSUMER, 1);
		NextChannelId::<Test>::put(id);
		assert!(Payments::do_try_state().is_err(), "id not below NextChannelId");

		NextChannelId::<Test>::put(id + 1);
		assert_ok!(Payments::do_try_state());
	});
}
