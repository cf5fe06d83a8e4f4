//! The collection form as posted: `multipart/form-data` (the photo comes along), or urlencoded
//! from a client that sends no file. Only the fields the form has are kept; a photo over the
//! upload limit is noted, not read on, so the fields after it still arrive.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use bytes::{Bytes, BytesMut};

use crate::service::photos::MAX_UPLOAD_BYTES;

/// The whole form: a photo at the upload limit and room for everything typed next to it.
pub const MAX_FORM_BYTES: usize = MAX_UPLOAD_BYTES + 256 * 1024;

/// What the visitor typed (or what an invitation prefilled), kept to show the form again.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Values {
    pub name: String,
    pub email: String,
    pub role: String,
    pub company: String,
    /// As sent: `1`–`5`, or anything else for the rules to refuse.
    pub rating: String,
    pub text: String,
    pub consent: bool,
    pub contact_me: bool,
    /// The honeypot.
    pub website: String,
    pub invite: String,
    /// A video the page's script recorded and uploaded (its id), and its timed transcript.
    pub video: String,
    pub captions: String,
    pub lang: String,
    /// The idempotency key this copy of the form carries.
    pub key: String,
    /// The proof of work the page's script found, if the site asks for one.
    pub pow: String,
}

impl Values {
    fn set(&mut self, name: &str, value: String) {
        let slot = match name {
            "name" => &mut self.name,
            "email" => &mut self.email,
            "role" => &mut self.role,
            "company" => &mut self.company,
            "rating" => &mut self.rating,
            "text" => &mut self.text,
            "website" => &mut self.website,
            "invite" => &mut self.invite,
            "video" => &mut self.video,
            "captions" => &mut self.captions,
            "lang" => &mut self.lang,
            "key" => &mut self.key,
            "pow" => &mut self.pow,
            // A checkbox is sent only when ticked, whatever its value.
            "consent" => return self.consent = true,
            "contact_me" => return self.contact_me = true,
            _ => return,
        };
        *slot = value;
    }

    /// The rating as a number: `None` when none was chosen, 0 (refused by the rules with
    /// their own message) when it is not a number.
    pub fn rating(&self) -> Option<i64> {
        let raw = self.rating.trim();
        (!raw.is_empty()).then(|| raw.parse().unwrap_or(0))
    }
}

#[derive(Debug, Default)]
pub enum PhotoPart {
    #[default]
    None,
    Chosen(Bytes),
    /// Over [`MAX_UPLOAD_BYTES`]: refused without reading it all.
    TooLarge,
}

#[derive(Debug, Default)]
pub struct Posted {
    pub values: Values,
    pub photo: PhotoPart,
}

/// Why a body could not be read as the form.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Neither multipart nor urlencoded.
    MediaType,
    /// Cut off or malformed.
    Malformed,
}

pub async fn read(request: Request) -> Result<Posted, Unreadable> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &()).await.map_err(|_| Unreadable::Malformed)?;
        read_multipart(multipart).await
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| Unreadable::Malformed)?;
        let mut posted = Posted::default();
        for (name, value) in form_urlencoded::parse(&bytes) {
            posted.values.set(&name, value.into_owned());
        }
        Ok(posted)
    } else {
        Err(Unreadable::MediaType)
    }
}

async fn read_multipart(mut multipart: Multipart) -> Result<Posted, Unreadable> {
    let mut posted = Posted::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(posted),
            // Past the body limit: a photo far over the upload limit. What came before it is
            // kept, so the form can be shown again with the visitor's words.
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                posted.photo = PhotoPart::TooLarge;
                return Ok(posted);
            }
            Err(_) => return Err(Unreadable::Malformed),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let mut bytes = BytesMut::new();
            let mut too_large = false;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if too_large || bytes.len() + chunk.len() > MAX_UPLOAD_BYTES => {
                        too_large = true;
                        bytes = BytesMut::new();
                    }
                    Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        posted.photo = PhotoPart::TooLarge;
                        return Ok(posted);
                    }
                    Err(_) => return Err(Unreadable::Malformed),
                }
            }
            // A file input with nothing chosen still sends its part, empty.
            posted.photo = match (too_large, bytes.is_empty()) {
                (true, _) => PhotoPart::TooLarge,
                (false, true) => PhotoPart::None,
                (false, false) => PhotoPart::Chosen(bytes.freeze()),
            };
        } else {
            match field.text().await {
                Ok(value) => posted.values.set(&name, value),
                // Only a photo makes the form this big.
                Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    posted.photo = PhotoPart::TooLarge;
                    return Ok(posted);
                }
                Err(_) => return Err(Unreadable::Malformed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticked_boxes_count_whatever_their_value_and_unknown_fields_are_ignored() {
        let mut values = Values::default();
        values.set("consent", "on".into());
        values.set("is_admin", "true".into());
        values.set("rating", " 4 ".into());
        assert!(values.consent && !values.contact_me);
        assert_eq!(values.rating(), Some(4));
        values.set("rating", "five".into());
        assert_eq!(values.rating(), Some(0), "refused by the rules, with their message");
        values.set("rating", String::new());
        assert_eq!(values.rating(), None);
    }
}
