// The registry of pagejournal's named fault points (faults/points/point.h): each is
// declared once here, with what is durable when it fires, and the code refers
// to these entries only. `crashlab run --point NAME` kills the engine there.
// docs/engines/pagejournal.md explains where each stands in the ordering.
#pragma once

#include <array>

#include "faults/points/point.h"

namespace crashlab::pagejournal::points {

using crashlab::faults::Point;

inline constexpr Point kStoreCreateBefore{
    "store.create:before",
    "a new store's data file, header.b and first journal exist but header.a does not: nothing "
    "is acknowledged and the next open creates the store afresh"};
inline constexpr Point kJournalWriteBefore{
    "journal.write:before",
    "the commit's record is encoded, not written: every acknowledged transaction is durable in "
    "the journal or in the data file under a checkpoint; this one is lost, which is allowed"};
inline constexpr Point kJournalWriteAfter{
    "journal.write:after",
    "the record's O_DSYNC write returned, so the transaction is durable and recovery replays it, "
    "though it is neither in scratch nor acknowledged yet"};
inline constexpr Point kJournalCreateBefore{
    "journal.create:before",
    "a record does not fit in the current journal and the next journal file does not exist yet: "
    "durable as at journal.write:before"};
inline constexpr Point kJournalCreateAfter{
    "journal.create:after",
    "the next journal file is created, preallocated, fsynced and its directory entry synced; no "
    "record of this commit is in it yet"};
inline constexpr Point kJournalRecycleBefore{
    "journal.recycle:before",
    "a checkpoint naming a later journal position is durable; the journal files wholly before "
    "it are about to be renamed as spares or removed"};
inline constexpr Point kJournalRecycleAfter{
    "journal.recycle:after",
    "the old journals are renamed as spares past the newest one (or removed) and the directory "
    "is synced: no record still needed was in them"};
inline constexpr Point kScratchUpdateBefore{
    "scratch.update:before",
    "the record is durable in the journal; scratch and the page translation table are unchanged "
    "and nothing is acknowledged"};
inline constexpr Point kScratchUpdatePartial{
    "scratch.update:partial",
    "some page images of the transaction are in scratch and some are not (fires only for "
    "transactions of two pages or more); the record is durable in the journal"};
inline constexpr Point kScratchUpdateAfter{
    "scratch.update:after",
    "every page image is in scratch and the page translation table points at them, so readers "
    "see the transaction; durable in the journal, not yet acknowledged"};
inline constexpr Point kFlushCopyDone{
    "flush.copy:done",
    "committed pages are copied from scratch into the data file's mapping but not synced; the "
    "checkpoint is unchanged, so recovery replays them from the journal"};
inline constexpr Point kDataSyncBefore{
    "data.sync:before",
    "the data file is about to be synced: its newest pages may not be durable, and the journal "
    "records after the durable checkpoint still hold them"};
inline constexpr Point kDataSyncAfter{
    "data.sync:after",
    "the data file is durable up to the flushed transaction; the checkpoint still names an "
    "earlier one, so recovery replays (idempotently) from there"};
inline constexpr Point kCheckpointWriteBefore{
    "checkpoint.write:before",
    "the older header file is about to be overwritten; the newer one holds the durable "
    "checkpoint"};
inline constexpr Point kCheckpointWriteAfter{
    "checkpoint.write:after",
    "the new checkpoint is durable in what was the older header file; no journal before it is "
    "recycled yet"};
inline constexpr Point kRecoveryReplayRecord{
    "recovery.replay:record",
    "recovery applied one more journal record to the data file's mapping, unsynced; the headers "
    "are unchanged, so a crash here replays again from the same checkpoint"};
inline constexpr Point kRecoveryReplayDone{
    "recovery.replay:done",
    "recovery applied every valid journal record to the data file's mapping; the data sync and "
    "the new checkpoint come next"};

inline constexpr std::array<const Point*, 17> kAll = {
    &kStoreCreateBefore,    &kJournalWriteBefore,    &kJournalWriteAfter,    &kJournalCreateBefore,
    &kJournalCreateAfter,   &kJournalRecycleBefore,  &kJournalRecycleAfter,  &kScratchUpdateBefore,
    &kScratchUpdatePartial, &kScratchUpdateAfter,    &kFlushCopyDone,        &kDataSyncBefore,
    &kDataSyncAfter,        &kCheckpointWriteBefore, &kCheckpointWriteAfter, &kRecoveryReplayRecord,
    &kRecoveryReplayDone,
};

}  // namespace crashlab::pagejournal::points
