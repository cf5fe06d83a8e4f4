//! Eleven weeks of testimonials: mostly kind words, some middling, a few unhappy, each decided
//! by a moderator within hours or a couple of days, the newest still waiting. Low ratings
//! became private follow-ups (the site's rule), and most of those were resolved with a note.

use anyhow::Context;
use fanfare_protocol::api::Status;

use super::invitations::{self, Invitee};
use super::{DAY, HOUR, MINUTE};
use crate::service::moderation::Action;
use crate::service::testimonials::{new_record, Draft};
use crate::service::{Actor, Service};
use crate::storage::{DynStorage, NewTestimonialRecord, Site, TestimonialEdit};

/// What a moderator did with a testimonial, and how long after it arrived.
#[derive(Clone, Copy)]
enum Decision {
    Pending,
    Approved(i64),
    Rejected(i64),
}

// The table below reads better without the enum's name on every line.
use Decision::{Approved, Pending, Rejected};

struct Story {
    name: &'static str,
    email: &'static str,
    role: Option<&'static str>,
    company: Option<&'static str>,
    rating: u8,
    text: &'static str,
    /// How long before the seed runs it arrived.
    arrived: i64,
    decision: Decision,
    /// Sent through an invitation after an order: a verified customer.
    verified: bool,
    /// Agreed to publication; private feedback (a low rating) may come without.
    consent: bool,
    contact_me: bool,
    /// How the team closed the private follow-up of a low rating; `None` leaves it open.
    resolved: Option<&'static str>,
    /// The roastery's public answer.
    reply: Option<&'static str>,
}

const STORY: Story = Story {
    name: "",
    email: "",
    role: None,
    company: None,
    rating: 5,
    text: "",
    arrived: 0,
    decision: Pending,
    verified: false,
    consent: true,
    contact_me: false,
    resolved: None,
    reply: None,
};

/// Kind words a roaster might really get, newest first, with honest grumbles among them: the
/// rejected ones are still counted in the summary, as every moderated rating is.
const STORIES: &[Story] = &[
    Story {
        name: "Ingrid Solberg",
        email: "ingrid.solberg@example.com",
        text: "Ordered the Kenya on a whim and it's the brightest cup I've had at home. Blackcurrant, exactly as the label promised.",
        arrived: 11 * HOUR,
        ..STORY
    },
    Story {
        name: "Dmitri Volkov",
        email: "dmitri.volkov@example.net",
        rating: 2,
        text: "Two bags in a row tasted flat and papery, although the roast dates were recent. Could someone get in touch? I'd like to know whether it's my storage or the beans.",
        arrived: DAY + 3 * HOUR,
        consent: false,
        contact_me: true,
        ..STORY
    },
    Story {
        name: "Giulia Romano",
        email: "giulia.romano@example.org",
        rating: 4,
        text: "The Crow's Nest works beautifully in my moka pot, which most specialty blends don't. A 1 kg bag would be lovely.",
        arrived: 2 * DAY + 6 * HOUR,
        ..STORY
    },
    Story {
        name: "Maren Okafor",
        email: "maren@littlefern.example.com",
        role: Some("Owner"),
        company: Some("Little Fern Bakery"),
        text: "We switched our shop to the Crow's Nest blend in spring. Customers ask about it every single morning, and the roast dates are always fresh.",
        arrived: 3 * DAY,
        decision: Approved(5 * HOUR),
        ..STORY
    },
    Story {
        name: "Rahul Mehta",
        email: "rahul.mehta@example.com",
        rating: 3,
        text: "Good coffee, but the filter grind was too fine for my Chemex and the first bag choked it. Whole beans from now on.",
        arrived: 4 * DAY + 20 * HOUR,
        decision: Approved(7 * HOUR),
        ..STORY
    },
    Story {
        name: "Tomás Reyes",
        email: "tomas.reyes@example.com",
        text: "The subscription arrives on Friday like clockwork. Best part of my weekend is the first cup.",
        arrived: 6 * DAY,
        decision: Approved(18 * HOUR),
        verified: true,
        ..STORY
    },
    Story {
        name: "Élodie Marchand",
        email: "elodie@boulangerie-marchand.example.com",
        role: Some("Pastry chef"),
        company: Some("Boulangerie Marchand"),
        text: "We serve the washed Guatemala with our morning pastries. Clean, chocolatey, and it never fights the butter.",
        arrived: 8 * DAY + 2 * HOUR,
        decision: Approved(4 * HOUR),
        ..STORY
    },
    Story {
        name: "Priya Natarajan",
        email: "priya.natarajan@example.com",
        role: Some("Home barista"),
        rating: 4,
        text: "Lovely, bright Ethiopian. I'd love a slightly bigger bag size, but the flavour notes on the label are spot on.",
        arrived: 9 * DAY,
        decision: Approved(26 * HOUR),
        verified: true,
        reply: Some("Thank you, Priya! The 500 g bag of the Ethiopian is back in the shop from next month."),
        ..STORY
    },
    Story {
        name: "Kwame Mensah",
        email: "kwame.mensah@example.net",
        text: "The tasting card in every box is a nice touch. My kids now compete at guessing the flavours.",
        arrived: 10 * DAY + 15 * HOUR,
        decision: Approved(9 * HOUR),
        verified: true,
        ..STORY
    },
    Story {
        name: "Jonas Weber",
        email: "jonas@lindeundsalz.example.com",
        role: Some("Head chef"),
        company: Some("Linde & Salz"),
        text: "Their decaf is the first one our guests don't notice is decaf. That says everything.",
        arrived: 12 * DAY,
        decision: Approved(3 * HOUR),
        ..STORY
    },
    Story {
        name: "Aiko Tanaka",
        email: "aiko.tanaka@example.com",
        rating: 4,
        text: "Friendly people at the roastery, and they took time to dial in my grinder setting with me.",
        arrived: 15 * DAY,
        decision: Approved(40 * HOUR),
        ..STORY
    },
    Story {
        name: "李娜",
        email: "li.na@example.net",
        rating: 4,
        text: "Fast shipping to Rotterdam and the decaf is genuinely good. A small sampler of origins would be perfect.",
        arrived: 16 * DAY + 5 * HOUR,
        decision: Approved(22 * HOUR),
        ..STORY
    },
    Story {
        name: "Sam O'Neill",
        email: "sam.oneill@example.com",
        rating: 2,
        text: "Parcel was a week late in December. The coffee itself was good once it came.",
        arrived: 18 * DAY,
        decision: Rejected(9 * HOUR),
        verified: true,
        resolved: Some("Called Sam: the parcel sat at the depot over the holidays. Sent a fresh bag with a note."),
        ..STORY
    },
    Story {
        name: "Siobhán Kelly",
        email: "siobhan.kelly@example.org",
        text: "Took the Saturday cupping class with my sister. We learned more in two hours than in years of videos, and went home with a bag each.",
        arrived: 19 * DAY + 20 * HOUR,
        decision: Approved(14 * HOUR),
        verified: true,
        ..STORY
    },
    Story {
        name: "Henrik Dahl",
        email: "henrik@dahlcykler.example.com",
        role: Some("Owner"),
        company: Some("Dahl Cykler"),
        text: "Our bike workshop runs on the office subscription. Fresh beans every two weeks, and nobody has to remember to order.",
        arrived: 22 * DAY + 4 * HOUR,
        decision: Approved(30 * HOUR),
        ..STORY
    },
    Story {
        name: "Katarzyna Nowak",
        email: "k.nowak@example.com",
        rating: 3,
        text: "Lovely Colombian, but the valve on the bag was broken and by the second week the beans had gone dull.",
        arrived: 24 * DAY + 9 * HOUR,
        decision: Approved(20 * HOUR),
        resolved: Some("Sent a replacement bag; reported the batch of faulty valves to our bag supplier."),
        ..STORY
    },
    Story {
        name: "Mateo García",
        email: "mateo.garcia@example.com",
        rating: 4,
        text: "El mejor café de especialidad que he probado fuera de Colombia, y el envío a Madrid llegó en dos días.",
        arrived: 27 * DAY + 2 * HOUR,
        decision: Approved(11 * HOUR),
        ..STORY
    },
    Story {
        name: "Olivia Brown",
        email: "olivia.brown@example.com",
        text: "Great coffee!! And if you need mugs to drink it from, my handmade ones are 20% off in my shop this week.",
        arrived: 29 * DAY + 7 * HOUR,
        decision: Rejected(2 * HOUR),
        ..STORY
    },
    Story {
        name: "Fatima Zahra El Idrissi",
        email: "fatima.elidrissi@example.org",
        text: "I ordered a gift box for my father's retirement and they added a handwritten card. He has been rationing the beans ever since.",
        arrived: 31 * DAY + 3 * HOUR,
        decision: Approved(6 * HOUR),
        verified: true,
        ..STORY
    },
    Story {
        name: "Yuki Nakamura",
        email: "yuki.nakamura@example.com",
        text: "The cold brew bags are foolproof. Twelve hours in the fridge and I have coffee for the whole week.",
        arrived: 34 * DAY + 10 * HOUR,
        decision: Approved(28 * HOUR),
        ..STORY
    },
    Story {
        name: "Pieter de Vries",
        email: "pieter@cafetulp.example.com",
        role: Some("Barista"),
        company: Some("Café Tulp"),
        rating: 4,
        text: "The roast is consistent from batch to batch, which matters more to us than anything. Please bring the Brazil back.",
        arrived: 36 * DAY + HOUR,
        decision: Approved(45 * HOUR),
        ..STORY
    },
    Story {
        name: "Leila Haddadi",
        email: "leila.haddadi@example.net",
        rating: 1,
        text: "The courier left the box in the rain and the beans were soaked through. They replaced it, but I won't order again.",
        arrived: 38 * DAY + 6 * HOUR,
        decision: Rejected(19 * HOUR),
        contact_me: true,
        resolved: Some("Replaced the order, filed a claim with the courier, and moved our deliveries to parcel lockers where we can."),
        ..STORY
    },
    Story {
        name: "Amara Nwosu",
        email: "amara.nwosu@example.com",
        text: "Switched from supermarket pods to the starter kit with a hand grinder. My morning went from a chore to a ritual.",
        arrived: 40 * DAY + 22 * HOUR,
        decision: Approved(8 * HOUR),
        verified: true,
        ..STORY
    },
    Story {
        name: "Björn Lindqvist",
        email: "bjorn.lindqvist@example.net",
        rating: 3,
        text: "Tasty espresso roast, but shipping to Sweden costs almost as much as the coffee.",
        arrived: 44 * DAY + 5 * HOUR,
        decision: Approved(33 * HOUR),
        resolved: Some("Told him about the new flat rate for the EU; he has ordered again since."),
        ..STORY
    },
    Story {
        name: "Zeynep Yılmaz",
        email: "zeynep.yilmaz@example.com",
        text: "The Sumatra is earthy and sweet, perfect for Turkish coffee. Thank you for grinding it extra fine for me.",
        arrived: 47 * DAY + 8 * HOUR,
        decision: Approved(12 * HOUR),
        ..STORY
    },
    Story {
        name: "Noah Becker",
        email: "noah.becker@example.org",
        text: "Endlich ein Espresso, der auch mit Hafermilch nach etwas schmeckt. Ich bestelle jetzt jeden Monat.",
        arrived: 50 * DAY + 2 * HOUR,
        decision: Approved(24 * HOUR),
        ..STORY
    },
    Story {
        name: "Ana Sousa",
        email: "ana@lumenstudio.example.com",
        role: Some("Office manager"),
        company: Some("Lumen Studio"),
        rating: 4,
        text: "We order for a team of twenty. Fair prices for the office bags, and the invoice arrives the same day.",
        arrived: 53 * DAY + 4 * HOUR,
        decision: Approved(50 * HOUR),
        verified: true,
        ..STORY
    },
    Story {
        name: "Hana Kobayashi",
        email: "hana.kobayashi@example.com",
        text: "I visited the roastery on a Saturday and they let me watch a roast. The smell alone was worth the trip.",
        arrived: 55 * DAY + 11 * HOUR,
        decision: Approved(16 * HOUR),
        ..STORY
    },
    Story {
        name: "Oluwaseun Adeyemi",
        email: "seun.adeyemi@example.org",
        text: "The single-origin Rwanda was a revelation, like a cup of red fruit tea. Please bring it back next season.",
        arrived: 58 * DAY + 3 * HOUR,
        decision: Approved(10 * HOUR),
        ..STORY
    },
    Story {
        name: "Nguyễn Thu Trang",
        email: "thu.trang@example.com",
        rating: 4,
        text: "The robusta blend finally tastes like the coffee I grew up with. A little pricey, but worth it.",
        arrived: 61 * DAY + 7 * HOUR,
        decision: Approved(21 * HOUR),
        verified: true,
        ..STORY
    },
    Story {
        name: "Lucas Moreau",
        email: "lucas.moreau@example.org",
        rating: 3,
        text: "Nice coffee, slow shipping: it took eight days to arrive.",
        arrived: 64 * DAY + 9 * HOUR,
        decision: Approved(36 * HOUR),
        resolved: Some("Apologised: the courier had a backlog that week. We've tracked every parcel since."),
        ..STORY
    },
    Story {
        name: "Rosa Delgado",
        email: "rosa.delgado@example.com",
        text: "My first order was a treat for myself. The second was for my whole family for the holidays.",
        arrived: 68 * DAY + HOUR,
        decision: Approved(13 * HOUR),
        ..STORY
    },
    Story {
        name: "Wei Chen",
        email: "wei.chen@example.org",
        text: "Bought the pour-over kit for my partner's birthday. The instructions are so friendly that we both make great coffee now.",
        arrived: 71 * DAY + 6 * HOUR,
        decision: Approved(27 * HOUR),
        ..STORY
    },
    Story {
        name: "Declan Murphy",
        email: "declan.murphy@example.net",
        rating: 4,
        text: "The first review I've ever written: the Crow's Nest is our house coffee now.",
        arrived: 75 * DAY + 4 * HOUR,
        decision: Approved(31 * HOUR),
        ..STORY
    },
];

/// Customers invited after an order who have not answered (yet): days before the seed runs.
const UNANSWERED: &[(&str, &str, i64)] = &[
    ("Chiara Bianchi", "chiara.bianchi@example.com", 5),
    ("Liam O'Brien", "liam.obrien@example.com", 10),
    ("Nadia Petrova", "nadia.petrova@example.com", 16),
    ("Ben Carter", "ben.carter@example.com", 23),
    ("Sofia Rossi", "sofia.rossi@example.com", 30),
    ("Arjun Rao", "arjun.rao@example.com", 37),
    ("Marta Kowalczyk", "marta.kowalczyk@example.com", 45),
    ("Paul Schneider", "paul.schneider@example.com", 52),
];

/// Stores the stories as of `now`, with the roastery's reply, the follow-ups' resolutions and
/// the invitations the verified ones answered.
pub(super) async fn seed(
    service: &Service,
    storage: &DynStorage,
    site: &Site,
    now: i64,
) -> anyhow::Result<()> {
    for (index, story) in (0i64..).zip(STORIES) {
        let (record, _manage_token) = new_record(
            site,
            Draft {
                content: TestimonialEdit {
                    name: story.name.into(),
                    role: story.role.map(Into::into),
                    company: story.company.map(Into::into),
                    rating: story.rating,
                    text: story.text.into(),
                },
                email: story.email.into(),
                consent: story.consent,
            },
        );
        let created_at = now - story.arrived;
        let (status, moderated_at) = match story.decision {
            Pending => (Status::Pending, None),
            Approved(after) => (Status::Approved, Some(created_at + after)),
            Rejected(after) => (Status::Rejected, Some(created_at + after)),
        };
        let id = record.id.clone();
        let follow_up = record.follow_up || story.contact_me;
        let record = NewTestimonialRecord {
            status,
            verified: story.verified,
            contact_me: story.contact_me,
            created_at,
            moderated_at,
            ..record
        };
        service.seed_testimonial(record).await?;
        if story.verified {
            // Invited after their order, two to four days before they wrote this.
            let invited_at = created_at - (2 + index % 3) * DAY - 5 * HOUR;
            let invitee = Invitee { name: story.name, email: story.email };
            invitations::sent(service, storage, site, invitee, invited_at, Some((&id, created_at)), now)
                .await?;
        }
        if let (true, Some(note)) = (follow_up, story.resolved) {
            // A day or so after the decision: someone wrote or called first.
            let resolved_at = moderated_at.unwrap_or(created_at) + DAY + 40 * MINUTE;
            storage.resolve_follow_up(site.id, &id, Some(note), resolved_at).await?;
        }
        if let Some(reply) = story.reply {
            let reply = Action::Reply(Some(reply.to_owned()));
            service.moderate(site, Actor::CommandLine, &id, reply).await?;
        }
    }
    for &(name, email, days_ago) in UNANSWERED {
        let invitee = Invitee { name, email };
        invitations::sent(service, storage, site, invitee, now - days_ago * DAY, None, now)
            .await
            .with_context(|| format!("inviting {name}"))?;
    }
    Ok(())
}
