//! Simulcast layer choice: which of a publisher's layers one subscriber should receive, from the tile size
//! the subscriber shows the video at, the bandwidth estimated toward it, and the layers the publisher is
//! actually sending (a browser short of uplink or CPU pauses its larger layers). Pure logic, no str0m
//! state, so it is tested on its own; the forwarder asks it again whenever a tile, an estimate or the set of
//! layers arriving changes.

/// One simulcast layer a publisher sends, as announced by the client (ruang's web client lists layers from
/// the smallest to the largest, and says their sizes; see docs/design/sfu.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layer {
    /// Frame height in pixels the layer is encoded at.
    pub height: u32,
    /// The bitrate the layer needs, in bits per second.
    pub bitrate: u64,
}

/// What the subscriber asked for: the height in pixels of the tile it shows this video in. `None` means
/// the subscriber did not say (it gets the largest layer the bandwidth allows).
pub type TileHeight = Option<u32>;

/// Picks the layer for one subscriber, returning its index in `layers` (ordered smallest first).
///
/// The rule: the smallest layer at least as tall as the tile (a larger one would be scaled down, wasting
/// bandwidth; a smaller one would be blurred), then step down while the layer does not fit `budget` (the
/// bits per second still free in the subscriber's estimate). The smallest layer is always allowed, even over
/// budget: a tile with a frozen picture is worse than a congested one, and last-N, not this choice, decides
/// whether the video is sent at all. `None` only when there are no layers.
pub fn choose_layer(layers: &[Layer], tile: TileHeight, budget: Option<u64>) -> Option<usize> {
    let largest = layers.len().checked_sub(1)?;
    let mut chosen = match tile {
        Some(tile) => layers.iter().position(|layer| layer.height >= tile).unwrap_or(largest),
        None => largest,
    };
    if let Some(budget) = budget {
        while chosen > 0 && layers[chosen].bitrate > budget {
            chosen -= 1;
        }
    }
    Some(chosen)
}

/// One subscriber's copy of a simulcast track, as the allocation sees it.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// The publisher's layers, smallest first.
    pub layers: &'a [Layer],
    /// The tile the subscriber shows it in.
    pub tile: TileHeight,
}

/// Shares one subscriber's bandwidth estimate among its simulcast copies; returns each copy's layer index
/// (`None` for a copy without layers).
///
/// Every copy first gets its smallest layer (every tile shows a picture, even over budget: last-N decides
/// what is not sent at all). Then, largest tile first (an unknown tile counts as the largest: it is most
/// likely the pinned or only video), each copy climbs toward the layer its tile wants
/// ([`choose_layer`] without budget) as far as the rest of the budget pays for. Without an estimate every
/// copy gets the layer its tile wants.
pub fn allocate(copies: &[Wanted<'_>], estimate: Option<u64>) -> Vec<Option<usize>> {
    let targets: Vec<Option<usize>> = copies.iter().map(|c| choose_layer(c.layers, c.tile, None)).collect();
    let Some(estimate) = estimate else { return targets };
    let mut chosen: Vec<Option<usize>> = targets.iter().map(|t| t.map(|_| 0)).collect();
    // Bitrates come from clients: saturate rather than overflow.
    let floor = copies.iter().filter_map(|c| c.layers.first()).map(|l| l.bitrate).fold(0, u64::saturating_add);
    let mut left = estimate.saturating_sub(floor);
    let mut order: Vec<usize> = (0..copies.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(copies[i].tile.unwrap_or(u32::MAX)));
    for i in order {
        let (Some(target), Some(current)) = (targets[i], chosen[i]) else { continue };
        let layers = copies[i].layers;
        let base = layers[current].bitrate;
        let affordable = (current..=target).rev().find(|&l| layers[l].bitrate.saturating_sub(base) <= left);
        if let Some(layer) = affordable {
            left -= layers[layer].bitrate.saturating_sub(base);
            chosen[i] = Some(layer);
        }
    }
    chosen
}

/// The layer to forward when the publisher sends only the layers marked in `arriving` (smallest first,
/// like the layers): the chosen one if it arrives, else the largest arriving one below it, else the
/// smallest arriving one above it (a subscriber gets a picture too large for its tile rather than none).
/// With nothing arriving the choice stands: it is where forwarding starts once the layers come.
pub fn fit_to_arriving(chosen: usize, arriving: &[bool]) -> usize {
    let arrives = |i: usize| arriving.get(i).copied().unwrap_or(false);
    if arrives(chosen) {
        return chosen;
    }
    (0..chosen)
        .rev()
        .find(|&i| arrives(i))
        .or_else(|| (chosen + 1..arriving.len()).find(|&i| arrives(i)))
        .unwrap_or(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chromium's default three layers for a 720p camera (quarter, half, full).
    const CAMERA: [Layer; 3] = [
        Layer { height: 180, bitrate: 150_000 },
        Layer { height: 360, bitrate: 500_000 },
        Layer { height: 720, bitrate: 1_500_000 },
    ];

    #[test]
    fn a_small_tile_gets_the_smallest_layer_that_covers_it() {
        assert_eq!(choose_layer(&CAMERA, Some(120), None), Some(0));
        assert_eq!(choose_layer(&CAMERA, Some(180), None), Some(0));
        assert_eq!(choose_layer(&CAMERA, Some(181), None), Some(1));
        assert_eq!(choose_layer(&CAMERA, Some(360), None), Some(1));
    }

    #[test]
    fn a_tile_larger_than_every_layer_gets_the_largest() {
        assert_eq!(choose_layer(&CAMERA, Some(1080), None), Some(2));
    }

    #[test]
    fn an_unknown_tile_gets_the_largest_layer_the_budget_allows() {
        assert_eq!(choose_layer(&CAMERA, None, None), Some(2));
        assert_eq!(choose_layer(&CAMERA, None, Some(1_000_000)), Some(1));
    }

    #[test]
    fn a_tight_budget_steps_the_layer_down() {
        assert_eq!(choose_layer(&CAMERA, Some(720), Some(600_000)), Some(1));
        assert_eq!(choose_layer(&CAMERA, Some(720), Some(200_000)), Some(0));
    }

    #[test]
    fn the_smallest_layer_is_kept_even_over_budget() {
        assert_eq!(choose_layer(&CAMERA, Some(720), Some(10_000)), Some(0));
    }

    #[test]
    fn a_budget_never_raises_the_layer_above_the_tile() {
        assert_eq!(choose_layer(&CAMERA, Some(180), Some(10_000_000)), Some(0));
    }

    #[test]
    fn a_track_without_layers_has_no_choice() {
        assert_eq!(choose_layer(&[], Some(720), None), None);
    }

    #[test]
    fn without_an_estimate_every_copy_gets_what_its_tile_wants() {
        let copies = [Wanted { layers: &CAMERA, tile: Some(720) }, Wanted { layers: &CAMERA, tile: Some(180) }];
        assert_eq!(allocate(&copies, None), [Some(2), Some(0)]);
    }

    #[test]
    fn a_copy_without_layers_gets_none_and_costs_nothing() {
        let copies = [Wanted { layers: &[], tile: Some(720) }, Wanted { layers: &CAMERA, tile: Some(720) }];
        assert_eq!(allocate(&copies, Some(1_500_000)), [None, Some(2)]);
    }

    #[test]
    fn the_largest_tile_climbs_first_once_every_copy_has_its_smallest_layer() {
        let copies = [
            Wanted { layers: &CAMERA, tile: Some(180) },
            Wanted { layers: &CAMERA, tile: Some(720) },
            Wanted { layers: &CAMERA, tile: Some(360) },
        ];
        // Floor 3 x 150k = 450k; 1.5M more lifts the 720 tile to full (+1.35M); 150k left is not enough to
        // lift the 360 tile (+350k).
        assert_eq!(allocate(&copies, Some(1_950_000)), [Some(0), Some(2), Some(0)]);
        // With 350k more, the 360 tile gets its half layer too.
        assert_eq!(allocate(&copies, Some(2_300_000)), [Some(0), Some(2), Some(1)]);
    }

    #[test]
    fn a_copy_climbs_as_far_as_the_budget_pays_when_its_target_is_too_dear() {
        let copies = [Wanted { layers: &CAMERA, tile: Some(720) }];
        assert_eq!(allocate(&copies, Some(800_000)), [Some(1)]);
    }

    #[test]
    fn over_budget_every_copy_still_gets_its_smallest_layer() {
        let copies = [Wanted { layers: &CAMERA, tile: Some(720) }, Wanted { layers: &CAMERA, tile: None }];
        assert_eq!(allocate(&copies, Some(100_000)), [Some(0), Some(0)]);
    }

    #[test]
    fn an_unknown_tile_is_served_before_known_ones() {
        let copies = [Wanted { layers: &CAMERA, tile: Some(720) }, Wanted { layers: &CAMERA, tile: None }];
        // 300k floor + 1.35M: only one copy can reach full, and it is the one whose tile is unknown.
        assert_eq!(allocate(&copies, Some(1_650_000)), [Some(0), Some(2)]);
        // 350k more lifts the other to half.
        assert_eq!(allocate(&copies, Some(2_000_000)), [Some(1), Some(2)]);
    }

    #[test]
    fn absurd_bitrates_saturate_instead_of_overflowing() {
        let absurd = [Layer { height: 180, bitrate: u64::MAX / 2 }, Layer { height: 720, bitrate: u64::MAX }];
        let copies = [Wanted { layers: &absurd, tile: None }, Wanted { layers: &absurd, tile: None }];
        assert_eq!(allocate(&copies, Some(1_000_000)), [Some(0), Some(0)]);
    }

    #[test]
    fn a_single_layer_is_always_chosen() {
        let one = [Layer { height: 480, bitrate: 800_000 }];
        assert_eq!(choose_layer(&one, Some(120), Some(1)), Some(0));
    }

    #[test]
    fn a_layer_that_does_not_arrive_is_replaced_by_the_largest_one_below_it() {
        assert_eq!(fit_to_arriving(2, &[true, true, true]), 2);
        assert_eq!(fit_to_arriving(2, &[true, true, false]), 1);
        assert_eq!(fit_to_arriving(2, &[true, false, false]), 0);
        assert_eq!(fit_to_arriving(1, &[true, false, true]), 0);
    }

    #[test]
    fn with_nothing_below_arriving_a_larger_layer_is_better_than_none() {
        assert_eq!(fit_to_arriving(0, &[false, false, true]), 2);
        assert_eq!(fit_to_arriving(0, &[false, true, true]), 1);
    }

    #[test]
    fn with_nothing_arriving_the_choice_stands() {
        assert_eq!(fit_to_arriving(1, &[false, false, false]), 1);
        assert_eq!(fit_to_arriving(1, &[]), 1);
    }
}
