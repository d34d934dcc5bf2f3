//! Simulcast layer choice: which of a publisher's layers one subscriber should receive, from the tile size
//! the subscriber shows the video at and the bandwidth estimated toward it. Pure logic, no str0m state, so
//! it is tested on its own; the forwarder asks it again whenever a tile or an estimate changes.

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
    fn a_single_layer_is_always_chosen() {
        let one = [Layer { height: 480, bitrate: 800_000 }];
        assert_eq!(choose_layer(&one, Some(120), Some(1)), Some(0));
    }
}
